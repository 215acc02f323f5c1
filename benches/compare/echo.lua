-- wrk script for POST /echo: a small JSON object, sent with its content type.
wrk.method = "POST"
wrk.body = '{"name":"wrk","id":42,"tags":["a","b"],"nested":{"ok":true}}'
wrk.headers["Content-Type"] = "application/json"
