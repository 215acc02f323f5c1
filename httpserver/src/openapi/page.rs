//! The page that shows an app's API document: plain HTML and a small script, served by the
//! app itself, so it works offline and fetches nothing from elsewhere.

/// The page; `{{OPENAPI_URL}}` is replaced with the document's path when it is served.
pub(crate) const DOCS_PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #222 }
  details { border: 1px solid #ddd; border-radius: 6px; margin: .5rem 0; padding: .3rem .7rem }
  summary { cursor: pointer } summary code { font-weight: 600 }
  .method { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase }
  .get { color: #1a7f37 } .post { color: #0550ae } .put, .patch { color: #9a6700 } .delete { color: #cf222e }
  pre { background: #f6f8fa; padding: .5rem; overflow: auto; font-size: .85rem }
  table { border-collapse: collapse } td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top }
  input, textarea { font: inherit } textarea { width: 100%; box-sizing: border-box }
</style>
</head>
<body>
<h1 id="title">API</h1>
<p id="about">Loading <a href="{{OPENAPI_URL}}">{{OPENAPI_URL}}</a>…</p>
<div id="operations"></div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script>
// Everything is built with textContent: the document's text is shown, never run.
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
};
const json = (value) => el("pre", {}, JSON.stringify(value, null, 2));

function tryIt(method, path, op) {
  const form = el("form", {class: "try"});
  const inputs = {};
  for (const p of op.parameters || []) {
    inputs[p.name] = el("input", {name: p.name, placeholder: p.schema && p.schema.type || ""});
    form.append(el("label", {}, p.name + " (" + p.in + ") ", inputs[p.name]), " ");
  }
  const content = op.requestBody && Object.keys(op.requestBody.content)[0];
  const body = content === "application/json" ? el("textarea", {rows: 4, placeholder: "JSON body"}) : null;
  if (body) form.append(body);
  const out = el("pre", {}, "");
  form.append(el("button", {}, "Send"), out);
  form.onsubmit = async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    for (const p of op.parameters || []) {
      const v = inputs[p.name].value;
      if (p.in === "path") url = url.replace("{" + p.name + "}", encodeURIComponent(v));
      else if (v !== "") query.append(p.name, v);
    }
    if ([...query].length) url += "?" + query;
    const init = {method: method.toUpperCase(), headers: {}};
    if (body) { init.body = body.value; init.headers["content-type"] = "application/json"; }
    const res = await fetch(url, init);
    out.textContent = res.status + " " + res.statusText + "\n" + await res.text();
  };
  return form;
}

fetch("{{OPENAPI_URL}}").then((r) => r.json()).then((doc) => {
  document.title = doc.info.title;
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  document.getElementById("about").textContent = doc.info.description || "OpenAPI " + doc.openapi;
  const ops = document.getElementById("operations");
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const head = el("summary", {}, el("span", {class: "method " + method}, method), " ", el("code", {}, path), " ", op.summary || "");
      const box = el("details", {id: op.operationId}, head);
      if (op.description) box.append(el("p", {}, op.description));
      if (op.tags) box.append(el("p", {}, "Tags: " + op.tags.join(", ")));
      if (op.parameters) {
        const rows = op.parameters.map((p) => el("tr", {}, el("td", {}, p.name), el("td", {}, p.in), el("td", {}, p.required ? "required" : "optional"), el("td", {}, JSON.stringify(p.schema))));
        box.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
      }
      if (op.requestBody) {
        for (const [type, media] of Object.entries(op.requestBody.content)) box.append(el("h4", {}, "Body: " + type), json(media.schema));
      }
      box.append(el("h4", {}, "Responses"));
      for (const [status, res] of Object.entries(op.responses)) {
        box.append(el("p", {}, el("b", {}, status), " " + res.description));
        for (const [type, media] of Object.entries(res.content || {})) box.append(el("div", {}, type), json(media.schema));
      }
      box.append(el("h4", {}, "Try it"), tryIt(method, path, op));
      ops.append(box);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries((doc.components || {}).schemas || {})) {
    schemas.append(el("details", {id: "schema-" + name}, el("summary", {}, el("code", {}, name)), json(schema)));
  }
}).catch((e) => { document.getElementById("about").textContent = "The document did not load: " + e; });
</script>
</body>
</html>
"##;
