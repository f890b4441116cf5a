import type { JSX } from "solid-js";
import { Show } from "solid-js";

export interface LayoutProps {
  product: string;
  homeHref: string;
  nav?: JSX.Element;
  account?: JSX.Element;
  children: JSX.Element;
}

/** Header with the product, its navigation and the signed-in account; one column on a phone. */
export function Layout(props: LayoutProps) {
  return (
    <div class="layout">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href={props.homeHref}>
          {props.product}
        </a>
        <Show when={props.nav}>
          <nav aria-label="Main">{props.nav}</nav>
        </Show>
        <div class="account">{props.account}</div>
      </header>
      <main id="main">{props.children}</main>
    </div>
  );
}
