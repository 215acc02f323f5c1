// The chat page: one WebSocket to /ws, every line the room sends shown in #log.
//
// Query parameters: name=NAME (else a random guest name); for scripted runs (the
// browser test), say=TEXT sends TEXT once connected, and until=N closes the socket after
// N chat messages and marks the page done (<body data-done="1">).
(function () {
  const params = new URLSearchParams(location.search);
  const name = params.get("name") || "guest-" + Math.floor(Math.random() * 1000);
  const say = params.get("say");
  const until = Number(params.get("until") || 0);
  const log = document.getElementById("log");
  const status = document.getElementById("status");
  document.getElementById("me").textContent = name;

  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(scheme + "//" + location.host + "/ws?name=" + encodeURIComponent(name));
  let messages = 0;

  function show(text, cls) {
    const li = document.createElement("li");
    li.textContent = text; // never innerHTML: the text comes from other people
    if (cls) li.className = cls;
    log.appendChild(li);
    log.scrollTop = log.scrollHeight;
  }

  socket.addEventListener("open", function () {
    status.textContent = "connected";
    if (say) socket.send(say);
  });
  socket.addEventListener("message", function (event) {
    let line;
    try { line = JSON.parse(event.data); } catch (e) { return; }
    if (line.kind === "message") {
      messages += 1;
      show(line.name + ": " + line.text, "message");
      if (until && messages >= until) {
        socket.close(1000, "done");
        document.body.dataset.done = "1";
      }
    } else if (line.kind === "join") {
      show(line.name + " joined", "notice");
    } else if (line.kind === "leave") {
      show(line.name + " left", "notice");
    }
  });
  socket.addEventListener("close", function (event) {
    status.textContent = "disconnected (" + event.code + ")";
  });
  document.getElementById("form").addEventListener("submit", function (event) {
    event.preventDefault();
    const input = document.getElementById("text");
    if (input.value && socket.readyState === WebSocket.OPEN) {
      socket.send(input.value);
      input.value = "";
    }
  });
})();
