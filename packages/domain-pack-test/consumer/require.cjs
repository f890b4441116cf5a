// CommonJS on Node.js 20.19 or later loads the ES module with require().
const { canPerformTeamActionOn } = require("@cloud2fa/domain");

const administrator = {
  kind: "member",
  id: "mem_ada",
  accountId: "acc_1",
  email: "ada@example.com",
  roles: ["administrator"],
  status: "active",
  isSso: false,
};
console.log(JSON.stringify(canPerformTeamActionOn(administrator, "mem_bob", "removeTwoFactor")));
