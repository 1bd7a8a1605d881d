/*
 * embed.js - newsflash's signup box on a publisher's own pages
 *
 * Finds each form[data-newsflash] (the HTML that `newsflash embed snippet`
 * prints), and makes it post with fetch to the data-newsflash URL
 * (POST /api/subscribe, CORS, no credentials) instead of leaving the page:
 * the thanks text, or the error, appears inside the box. Without this
 * script the same form posts to /subscribe and the reader comes back
 * through newsflash's thanks page.
 *
 * Errors are rendered from a Mustache template: the publisher's own, in a
 * <template class="nf-signup-errors"> inside the box, else the seed's
 * below; the data is /api/subscribe's answer (verifyErrors on 422, none on
 * a server error or a network failure).
 *
 * With serve --signup-pow the server asks for a proof of work: a POST
 * without one is answered with a challenge ({"pow": {"challenge", "bits"}}),
 * and the box finds a counter so that SHA-256(challenge + counter) starts
 * with that many zero bits, then posts again with {"pow": {"challenge",
 * "counter"}}. The hashing is WebCrypto's (crypto.subtle.digest, so the page
 * must be https or localhost), up to 4096 digests at a time: each batch's result
 * arrives as a task of its own, so the page keeps answering between them.
 * newsflash's own signup page loads this script only then, and marks its
 * form data-newsflash-pow: there the challenge is fetched on submit and the
 * solution goes into the form's hidden fields before it posts as usual.
 *
 * The Mustache renderer is hand-written, not mustache.js: this file is
 * pasted into pages we do not own, so it may have no dependency (no
 * loader, no second request, one integrity hash). It does the subset the
 * box needs and renders it as mustache.js does (tests/integration/embed.sh
 * compares them): {{name}} escaped, {{{name}}} and {{&name}} raw,
 * {{#name}}...{{/name}} sections over lists, objects and truthy values,
 * {{^name}}...{{/name}} inverted sections, {{!comments}}, dotted names,
 * {{.}}, and spaces inside the braces ({{ #name }}). Not done: partials,
 * lambdas, delimiter changes, and the removal of lines holding only a
 * section tag (whitespace is kept as written).
 */
(function () {
	"use strict";

	var SEED = "{{ #verifyErrors }} {{ message }} {{ /verifyErrors }} {{ ^verifyErrors }} " +
		"Something went wrong. Please try again later {{ /verifyErrors }}";
	var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;",
		"/": "&#x2F;", "`": "&#x60;", "=": "&#x3D;" };

	function escapeHtml(s) {
		return String(s).replace(/[&<>"'`=\/]/g, function (c) { return ESC[c]; });
	}

	/* the template as a tree: strings and {type, name, children} */
	function parse(src) {
		var re = /\{\{(\{)?\s*([#^\/!&]?)\s*([^}]*?)\s*\}?\}\}/g;
		var root = [], stack = [{ children: root }], pos = 0, m, top;

		while ((m = re.exec(src)) !== null) {
			top = stack[stack.length - 1];
			if (m.index > pos)
				top.children.push(src.slice(pos, m.index));
			pos = re.lastIndex;
			var type = m[1] ? "&" : m[2], name = m[3];
			if (type === "!")
				continue;
			if (type === "#" || type === "^") {
				var node = { type: type, name: name, children: [] };
				top.children.push(node);
				stack.push(node);
			} else if (type === "/") {
				if (stack.length < 2 || top.name !== name)
					throw new Error("unopened section " + name);
				stack.pop();
			} else {
				top.children.push({ type: type || "v", name: name });
			}
		}
		if (stack.length > 1)
			throw new Error("unclosed section " + stack[stack.length - 1].name);
		if (pos < src.length)
			root.push(src.slice(pos));
		return root;
	}

	function lookup(ctx, name) {
		if (name === ".")
			return ctx[ctx.length - 1];
		var parts = name.split("."), i, j, v;
		for (i = ctx.length - 1; i >= 0; i--) {
			v = ctx[i];
			if (v === null || typeof v !== "object" || !(parts[0] in v))
				continue;
			for (j = 0; j < parts.length && v !== null && v !== undefined; j++)
				v = v[parts[j]];
			return v;
		}
		return undefined;
	}

	function walk(nodes, ctx) {
		var out = "", i, k, n, v;
		for (i = 0; i < nodes.length; i++) {
			n = nodes[i];
			if (typeof n === "string") {
				out += n;
				continue;
			}
			v = lookup(ctx, n.name);
			if (n.type === "#") {
				if (Array.isArray(v)) {
					for (k = 0; k < v.length; k++)
						out += walk(n.children, ctx.concat([v[k]]));
				} else if (v && typeof v !== "function") {
					out += walk(n.children, typeof v === "boolean" ? ctx : ctx.concat([v]));
				}
			} else if (n.type === "^") {
				if (!v || (Array.isArray(v) && v.length === 0))
					out += walk(n.children, ctx);
			} else if (v !== null && v !== undefined && typeof v !== "function") {
				out += n.type === "&" ? String(v) : escapeHtml(v);
			}
		}
		return out;
	}

	function render(template, data) {
		return walk(parse(template), [data]);
	}

	function zeroBits(digest, bits) {
		var b = new Uint8Array(digest), i = 0;
		for (; bits >= 8; bits -= 8)
			if (b[i++] !== 0)
				return false;
		return bits === 0 || b[i] >> (8 - bits) === 0;
	}

	/* the counter for pow's challenge: resolves to {challenge, counter} */
	function solve(pow) {
		var enc = new TextEncoder(), next = 0;
		/* a sixteenth of the expected work, 256 to 4096: few wasted digests, few round trips */
		var size = Math.min(4096, Math.max(256, Math.pow(2, pow.bits - 4)));
		return new Promise(function (done, fail) {
			function batch() {
				var jobs = [], k;
				for (k = 0; k < size; k++)
					jobs.push(crypto.subtle.digest("SHA-256", enc.encode(pow.challenge + (next + k))));
				Promise.all(jobs).then(function (ds) {
					for (k = 0; k < ds.length; k++)
						if (zeroBits(ds[k], pow.bits))
							return done({ challenge: pow.challenge, counter: String(next + k) });
					next += size;
					batch();
				}, fail);
			}
			batch();
		});
	}

	/* newsflash's own page: the solution into the form's hidden fields, then the usual post */
	function powForm(form) {
		var button = form.querySelector("button"), busy = false;
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			if (busy)
				return;
			busy = button.disabled = true;
			var post = function (s) {
				form.elements.pow_challenge.value = s.challenge;
				form.elements.pow_counter.value = s.counter;
				form.submit();
			};
			fetch(form.getAttribute("data-newsflash-pow"), { credentials: "same-origin" }).then(function (r) {
				return r.json();
			}).then(function (pow) {
				return pow.bits ? solve(pow) : { challenge: "", counter: "" };
			}).then(post, function () { post({ challenge: "", counter: "" }); });	/* the server says why */
		});
		window.addEventListener("pageshow", function () { busy = button.disabled = false; });	/* back again */
	}

	function upgrade(form) {
		var box = form.parentNode, tpl = box.querySelector("template.nf-signup-errors");
		var template = tpl ? tpl.innerHTML : SEED;
		var errors = form.querySelector(".nf-errors"), thanks = form.querySelector(".nf-thanks");
		var email = form.querySelector("input[name=email]"), button = form.querySelector("button");
		var page = form.querySelector("input[name=return_to]");

		if (page)
			page.value = location.href.split("#")[0];
		form.addEventListener("submit", function (ev) {
			ev.preventDefault();
			var get = function (n) { var f = form.elements[n]; return f ? f.value : ""; };
			var body = { email: get("email"), marketing: !!(form.elements.marketing &&
				form.elements.marketing.checked), website: get("website"),
				page: location.href.split("#")[0] };
			if (get("list"))
				body.list = get("list");
			button.disabled = true;
			errors.innerHTML = "";
			thanks.textContent = "";
			var shown = function (status, data) {
				button.disabled = false;
				if (status === 200 && data && data.status === "ok") {
					email.removeAttribute("aria-invalid");
					thanks.textContent = data.message + (data.confirm ?
						". We have sent you an email: please open it and confirm your address." : "");
					form.reset();
					return;
				}
				email.setAttribute("aria-invalid", "true");
				try {
					errors.innerHTML = render(template, data || {});
				} catch (e) {
					errors.innerHTML = render(SEED, data || {});
				}
			};
			var solves = 0, send = function () {
				fetch(form.getAttribute("data-newsflash"), {
					method: "POST", mode: "cors", credentials: "omit",
					headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
				}).then(function (res) {
					return res.json().then(function (d) {
						/* asked for a proof of work (or a new one): solve it and post again */
						if (d && d.pow && d.pow.challenge && solves++ < 2 && window.crypto && crypto.subtle)
							return solve(d.pow).then(function (s) { body.pow = s; send(); },
								function () { shown(res.status, d); });
						shown(res.status, d);
					}, function () { shown(res.status, {}); });
				}, function () { shown(0, {}); });
			};
			send();
		});
	}

	var forms = document.querySelectorAll("form[data-newsflash]"), i;
	for (i = 0; i < forms.length; i++)
		upgrade(forms[i]);
	forms = document.querySelectorAll("form[data-newsflash-pow]");
	for (i = 0; i < forms.length; i++)
		powForm(forms[i]);
	if (typeof window !== "undefined") {
		window.newsflashRender = render;	/* for the publisher's own use, and the tests */
		window.newsflashSolve = solve;		/* for the tests and the measurements */
	}
})();
