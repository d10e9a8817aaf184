// An HTTP service: GET /?name=X answers with the rendered page. `node dist/server.js --once NAME
// MS` prints the page for NAME after MS milliseconds of uptime and exits (the probe uses it).
const http = require("http");
const { render } = require("./render");

const started = Date.now();

if (process.argv[2] === "--once") {
  console.log(render(process.argv[3] || "world", Number(process.argv[4] || 0)));
} else {
  const port = Number(process.env.PORT || 8080);
  http
    .createServer((req, res) => {
      const url = new URL(req.url, "http://localhost");
      res.setHeader("content-type", "text/html; charset=utf-8");
      res.end(render(url.searchParams.get("name") || "world", Date.now() - started));
    })
    .listen(port, () => console.log(`listening on ${port}`));
}
