/* fundvote owner pages: add browser randomness to the tracker of a vote (optional).
   Fills every hidden input named client_entropy with 32 random bytes from
   crypto.getRandomValues, as hex. Without JavaScript the server's randomness alone is used. */
(function () {
  "use strict";
  function fill() {
    var cryptoObj = window.crypto || window.msCrypto;
    if (!cryptoObj || !cryptoObj.getRandomValues) { return; }
    var fields = document.querySelectorAll('input[name="client_entropy"]');
    for (var i = 0; i < fields.length; i++) {
      var bytes = new Uint8Array(32);
      cryptoObj.getRandomValues(bytes);
      var hex = "";
      for (var j = 0; j < bytes.length; j++) { hex += ("0" + bytes[j].toString(16)).slice(-2); }
      fields[i].value = hex;
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fill);
  } else {
    fill();
  }
})();
