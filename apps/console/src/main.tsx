import "@cloud2fa/ui/styles.css";
import { render } from "solid-js/web";
import { App } from "./app.js";

const root = document.getElementById("root");
if (root) render(() => <App />, root);
