// The page the service answers with: an escaped greeting and how long it has been up.
const escapeHtml = require("escape-html");
const ms = require("ms");

function render(name, uptimeMs) {
  return `<p>Hello, ${escapeHtml(name)}! Up for ${ms(uptimeMs, { long: true })}.</p>`;
}

module.exports = { render };
