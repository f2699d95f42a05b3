//! The app's only stylesheet and script, served from the binary (no external asset).

use axum::http::header;
use axum::response::IntoResponse;

pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

pub async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
}

const CSS: &str = r#"
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff;font-weight:600;text-decoration:none;padding:.3rem .6rem;border-radius:4px}
header a:hover,header a:focus{background:#2d5379;outline:none}
main{max-width:60rem;margin:0 auto;padding:1rem}
#photos figure{display:inline-block;margin:0 1rem 1rem 0;max-width:20rem;vertical-align:top}
#photos img{max-width:100%;max-height:16rem;border:1px solid #ccc}
h1{font-size:1.4rem;margin:.4rem 0 1rem}
h2{font-size:1.15rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e2e5e9;vertical-align:top}
th{font-size:.85rem;color:#555}
.flash{background:#e7f3ec;border-left:4px solid #2f7d4f;padding:.6rem .8rem}
.error,.msg .error{color:#a12622}
.warning,.msg .warning{color:#8a5a00}
.q{background:#fff;border:1px solid #e2e5e9;border-radius:6px;margin:.6rem 0;padding:.6rem .8rem}
.q fieldset{border:0;margin:0;padding:0}
.q legend{font-weight:600;padding:0;margin-bottom:.35rem}
.q label{display:inline-flex;align-items:center;gap:.35rem;margin:.2rem 1rem .2rem 0;min-height:2rem}
.q input[type=text],.q textarea{font:inherit;padding:.4rem .5rem;border:1px solid #aab2bd;border-radius:4px;min-width:8rem}
.q textarea{width:100%;min-height:4rem}
.hidden{display:none}
.req{color:#a12622;margin-left:.25rem}
.msg{margin:.3rem 0 0;min-height:0}
button,.button{font:inherit;background:#1f3b57;color:#fff;border:0;border-radius:4px;padding:.55rem 1rem;cursor:pointer;margin:.3rem .4rem .3rem 0}
button.secondary{background:#e2e5e9;color:#1b1f24}
button:focus,a:focus,input:focus,textarea:focus{outline:3px solid #f0b429;outline-offset:1px}
.progress{padding:.4rem 0;font-weight:600}
.search input{font:inherit;padding:.5rem;width:min(30rem,100%)}
.muted{color:#666;font-size:.9rem}
.station{background:#fff;border:1px solid #e2e5e9;border-radius:6px;margin:.5rem 0;padding:.5rem .8rem}
.station form{display:inline}
@media (max-width:40rem){th:nth-child(3),td:nth-child(3){display:none}main{padding:.6rem}}
"#;

/// Saves the form as the observer answers (so a crash loses at most one answer), then shows
/// which questions apply and the validation messages the server computed with the shared code.
const JS: &str = r#"
(function () {
  var form = document.getElementById('fill');
  if (!form) return;
  var url = form.getAttribute('data-autosave');
  var timer = null;
  function apply(state) {
    document.querySelectorAll('.q').forEach(function (q) {
      var id = q.getAttribute('data-q');
      q.classList.toggle('hidden', state.hidden.indexOf(id) >= 0);
      var msg = document.getElementById('msg-' + id);
      if (msg) msg.textContent = '';
    });
    var general = document.getElementById('form-messages');
    if (general) general.textContent = '';
    state.issues.forEach(function (issue) {
      var target = issue.question ? document.getElementById('msg-' + issue.question) : general;
      if (!target) target = general;
      if (!target) return;
      var line = document.createElement('span');
      line.className = issue.severity;
      line.textContent = issue.message + ' ';
      target.appendChild(line);
    });
    var progress = document.getElementById('progress');
    if (progress) progress.textContent = state.progress;
    form.setAttribute('data-saved', String(state.saved));
  }
  function save() {
    var body = new URLSearchParams(new FormData(form));
    fetch(url, {method: 'POST', body: body, credentials: 'same-origin',
                headers: {'Content-Type': 'application/x-www-form-urlencoded'}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) { if (state) apply(state); })
      .catch(function () {});
  }
  function soon() { clearTimeout(timer); timer = setTimeout(save, 250); }
  form.addEventListener('change', soon);
  form.addEventListener('input', function (e) {
    if (e.target.type === 'text' || e.target.tagName === 'TEXTAREA') soon();
  });
})();
"#;
