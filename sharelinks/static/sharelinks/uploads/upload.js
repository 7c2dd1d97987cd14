/* The share add form's direct upload: the chosen file goes from this browser to S3.
 *
 * On Save: the form is checked by the server with the file left out (its errors show at
 * once, the file still chosen); then Uppy's S3 plugin uploads the file in parts, each PUT
 * to a URL the server presigns just before it (Uppy's Companion protocol, served by the
 * admin: sharelinks/admin/uploads.py); then the form is submitted with the finished
 * upload's handle instead of the file. The bytes never pass through Django.
 *
 * Resuming: the upload's id and handle are kept in localStorage under the file's name,
 * size and modification time; choosing the same file again after a reload or a failure
 * lists the parts S3 already holds and sends only the rest. docs/uploads.md has the rest.
 */
(function () {
  "use strict";

  // Seconds before each new try of a failed upload (each resumes from S3's list of parts).
  var RETRY_DELAYS = [2, 4, 8, 16, 30, 60];

  function format(text, params) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return params[name]; });
  }

  function bytes(count) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var unit = 0;
    while (count >= 1000 && unit < units.length - 1) { count /= 1000; unit += 1; }
    return (unit ? count.toFixed(1) : String(count)) + " " + units[unit];
  }

  function Meter(messages) {
    this.messages = messages;
    this.speed = 0;
    this.last = null;
  }
  Meter.prototype.duration = function (seconds) {
    var m = this.messages;
    seconds = Math.ceil(seconds);
    if (seconds >= 3600) {
      return format(m.hours, { h: Math.floor(seconds / 3600), m: Math.floor(seconds % 3600 / 60) });
    }
    if (seconds >= 60) return format(m.minutes, { m: Math.floor(seconds / 60), s: seconds % 60 });
    return format(m.seconds, { s: seconds });
  };
  // A smoothed speed, so the time left does not jump with every progress event.
  Meter.prototype.update = function (done, total) {
    var now = performance.now();
    if (this.last && now - this.last.at >= 500 && done >= this.last.done) {
      var current = (done - this.last.done) / ((now - this.last.at) / 1000);
      this.speed = this.speed ? 0.7 * this.speed + 0.3 * current : current;
      this.last = { at: now, done: done };
    } else if (!this.last || done < this.last.done) {
      this.last = { at: now, done: done };
    }
    var percent = total ? Math.floor(done / total * 100) : 0;
    var left = this.speed ? this.duration((total - done) / this.speed) : "…";
    return {
      percent: percent,
      text: format(this.messages.progress, {
        percent: percent + "%", done: bytes(done), total: bytes(total),
        speed: this.speed ? bytes(Math.round(this.speed)) : "…", left: left,
      }),
    };
  };

  function Saved(user, file) {
    this.key = ["sharelinks-upload", user, file.name, file.size, file.lastModified].join(":");
  }
  Saved.prototype.read = function () {
    try { return JSON.parse(localStorage.getItem(this.key)); } catch (e) { return null; }
  };
  Saved.prototype.write = function (value) {
    try { localStorage.setItem(this.key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  };
  Saved.prototype.forget = function () {
    try { localStorage.removeItem(this.key); } catch (e) { /* private mode */ }
  };

  function setUp(root) {
    var config = JSON.parse(document.getElementById("sharelinks-upload-config").textContent);
    var messages = config.messages;
    var form = root.closest("form");
    var input = root.querySelector(".sharelinks-upload-file");
    var handleInput = root.querySelector(".sharelinks-upload-handle");
    var box = root.querySelector(".sharelinks-upload-progress");
    var bar = box.querySelector("progress");
    var status = box.querySelector(".sharelinks-upload-status");
    var cancelButton = box.querySelector(".sharelinks-upload-cancel");
    var attached = root.querySelector(".sharelinks-upload-attached");
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    var endpoint = new URL(config.endpoint, location.href).href;
    var busy = false;
    var current = null; // the running upload: {uppy, saved, cancel}

    input.hidden = false;
    root.querySelector(".sharelinks-upload-noscript").hidden = true;
    withCsrfHeader(endpoint, csrf);

    input.addEventListener("change", function () {
      if (attached && input.files.length) attached.hidden = true;
    });
    cancelButton.addEventListener("click", function () { if (current) current.cancel(); });
    window.addEventListener("beforeunload", function (event) {
      if (busy) { event.preventDefault(); event.returnValue = ""; }
    });
    form.addEventListener("submit", function (event) {
      if (busy) { event.preventDefault(); return; }
      if (input.disabled || !input.files.length) return; // nothing to upload: a plain save
      event.preventDefault();
      run(input.files[0], event.submitter);
    });

    function show(text, percent) {
      box.hidden = false;
      status.textContent = text;
      if (percent !== undefined) bar.value = percent;
    }

    function setBusy(value) {
      busy = value;
      form.querySelectorAll("[type=submit]").forEach(function (b) { b.disabled = value; });
      cancelButton.hidden = !value;
      input.disabled = value;
      root.classList.toggle("sharelinks-upload-busy", value);
    }

    async function run(file, submitter) {
      setBusy(true);
      clearErrors(form);
      show(messages.checking, 0);
      try {
        var check = await checkForm(file);
        if (check.errors) {
          setBusy(false);
          box.hidden = true;
          showErrors(form, root, check);
          return;
        }
        var handle = await upload(file, check.part_size);
        handleInput.value = handle;
        show(messages.saving, 100);
        setBusy(false);
        input.disabled = true; // the file itself is never sent to Django
        form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
      } catch (err) {
        setBusy(false);
        if (err && err.cancelled) show(messages.cancelled, 0);
        else show(format(messages.failed, { error: (err && err.message) || String(err) }));
      }
    }

    async function checkForm(file) {
      var data = new FormData(form);
      data.set("upload_name", file.name);
      data.set("upload_size", String(file.size));
      var response = await fetch(config.checkUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
      });
      if (response.ok || response.status === 400) {
        var answer = await response.json();
        if (response.ok || answer.errors) return answer;
        throw new Error(answer.error || response.statusText);
      }
      throw new Error(response.status + " " + response.statusText);
    }

    // Whether S3 still holds the saved upload, and how much of it: a resume needs both.
    async function storedParts(saved) {
      var url = endpoint + "/s3/multipart/" + encodeURIComponent(saved.uploadId) +
        "?" + new URLSearchParams({ key: saved.key });
      var response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return null;
      return response.json();
    }

    async function upload(file, partSize) {
      var saved = new Saved(config.user, file);
      var resume = saved.read();
      var meter = new Meter(messages);
      show(messages.starting, 0);
      if (resume) {
        var parts = await storedParts(resume);
        if (parts === null) {
          saved.forget();
          resume = null;
        } else {
          partSize = resume.partSize; // the stored parts fixed it
          var done = parts.reduce(function (sum, part) { return sum + (part.Size || 0); }, 0);
          show(format(messages.resuming, { done: bytes(done), total: bytes(file.size) }),
            Math.floor(done / file.size * 100));
        }
      }
      return new Promise(function (resolve, reject) {
        var uppy = new SharelinksUppy.Uppy({ autoProceed: false, allowMultipleUploadBatches: true });
        uppy.use(SharelinksUppy.AwsS3, {
          companionEndpoint: config.endpoint,
          shouldUseMultipart: true,
          getChunkSize: function () { return partSize; },
          limit: 1,
        });
        var id = uppy.addFile({
          name: file.name, type: file.type || "application/octet-stream", data: file,
          source: "Local",
        });
        if (resume) uppy.setFileState(id, { s3Multipart: { uploadId: resume.uploadId, key: resume.key } });
        var attempts = 0;
        var retryTimer = null;
        var state = resume;
        var finished = false;

        function finish(error, handle) {
          if (finished) return;
          finished = true;
          clearTimeout(retryTimer);
          current = null;
          window.setTimeout(function () { uppy.destroy(); }, 0);
          if (error) reject(error); else resolve(handle);
        }

        // Kept as soon as S3 names the upload, so a reload can resume even the first part.
        uppy.on("state-update", function (previous, next) {
          var entry = next.files[id] && next.files[id].s3Multipart;
          if (entry && (!state || entry.uploadId !== state.uploadId)) {
            state = { uploadId: entry.uploadId, key: entry.key, partSize: partSize };
            saved.write(state);
          }
        });
        uppy.on("upload-progress", function (f, progress) {
          var shown = meter.update(progress.bytesUploaded, progress.bytesTotal || file.size);
          show(shown.text, shown.percent);
        });
        // A part that got through proves the connection again: the next failure starts
        // the backoff from the beginning, so a long upload survives many short outages.
        uppy.on("s3-multipart:part-uploaded", function () { attempts = 0; });
        uppy.on("upload-success", function (f, response) {
          saved.forget();
          finish(null, response.body.key);
        });
        uppy.on("upload-error", function (f, error) {
          if (attempts >= RETRY_DELAYS.length) { finish(error); return; }
          var seconds = RETRY_DELAYS[attempts];
          attempts += 1;
          show(format(messages.retrying, { seconds: seconds }));
          retryTimer = window.setTimeout(function () { uppy.retryUpload(id); }, seconds * 1000);
        });

        current = {
          cancel: function () {
            var toAbort = state;
            saved.forget();
            uppy.cancelAll(); // aborts the running upload on S3
            if (toAbort) { // and one that is waiting for its next try
              fetch(endpoint + "/s3/multipart/" + encodeURIComponent(toAbort.uploadId) + "?" +
                new URLSearchParams({ key: toAbort.key }), { method: "DELETE", credentials: "same-origin" });
            }
            finish({ cancelled: true });
          },
        };
        uppy.upload().catch(function (err) { finish(err); });
      });
    }
  }

  // Uppy's Companion client sends its JSON requests with a bare fetch() and no way to add
  // a header; Django's CSRF check wants the token in one. Only requests to the admin's own
  // upload endpoint get it.
  function withCsrfHeader(endpoint, csrf) {
    var nativeFetch = window.fetch.bind(window);
    window.fetch = function (resource, options) {
      var url = new URL(resource instanceof Request ? resource.url : String(resource), location.href);
      if (url.href.indexOf(endpoint + "/") === 0) {
        options = Object.assign({}, options);
        var headers = new Headers(options.headers || {});
        headers.set("X-CSRFToken", csrf);
        options.headers = headers;
        options.credentials = "same-origin";
      }
      return nativeFetch(resource, options);
    };
  }

  function clearErrors(form) {
    form.querySelectorAll(".errornote, ul.errorlist").forEach(function (node) { node.remove(); });
    form.querySelectorAll(".form-row.errors").forEach(function (row) { row.classList.remove("errors"); });
  }

  // The admin's own error markup, so the page looks as if the server had rendered it.
  function showErrors(form, root, answer) {
    var first = form.querySelector("fieldset");
    var note = document.createElement("p");
    note.className = "errornote";
    note.textContent = answer.note;
    first.parentNode.insertBefore(note, first);
    Object.keys(answer.errors).forEach(function (field) {
      var list = document.createElement("ul");
      list.className = "errorlist";
      answer.errors[field].forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      var row = field === "__all__" ? null : form.querySelector(".form-row.field-" + field);
      if (!row) {
        list.classList.add("nonfield");
        first.parentNode.insertBefore(list, first);
        return;
      }
      row.classList.add("errors");
      row.insertBefore(list, row.firstChild);
    });
    note.scrollIntoView({ block: "center" });
  }

  function start() {
    var root = document.querySelector("[data-sharelinks-upload]");
    if (root && window.SharelinksUppy) setUp(root);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
