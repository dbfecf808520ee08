/** A readable, self-contained HTML page of the OpenAPI document (no CDN: works offline). */

function esc(s: unknown): string {
	return String(s ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function schemaText(schema: unknown): string {
	return esc(JSON.stringify(schema, null, 2));
}

export function renderDocsPage(doc: any): string {
	const byTag = new Map<string, string[]>();
	for (const [p, ops] of Object.entries<any>(doc.paths ?? {})) {
		for (const [method, op] of Object.entries<any>(ops)) {
			const tag = op.tags?.[0] ?? "other";
			const params = (op.parameters ?? [])
				.map((x: any) => `<tr><td><code>${esc(x.name)}</code></td><td>${esc(x.in)}</td><td>${x.required ? "yes" : ""}</td><td><code>${esc(JSON.stringify(x.schema))}</code></td></tr>`)
				.join("");
			const body = op.requestBody
				? Object.entries<any>(op.requestBody.content)
						.map(([ct, c]) => `<p>Body <code>${esc(ct)}</code></p><pre>${schemaText(c.schema)}</pre>`)
						.join("")
				: "";
			const responses = Object.entries<any>(op.responses ?? {})
				.map(([status, r]) => `<li><b>${esc(status)}</b> ${esc(r.description)}</li>`)
				.join("");
			const html = `<section class="op" id="${esc(op.operationId)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(p)}</code></h3>
<p><b>${esc(op.summary)}</b></p><p>${esc(op.description).replace(/\n/g, "<br>")}</p>
${params ? `<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${params}</table>` : ""}
${body}<ul>${responses}</ul></section>`;
			byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
		}
	}
	const tags = [...byTag.keys()].sort();
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info?.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
nav a{margin-right:1em} .op{border-top:1px solid #ddd;padding:.4em 0} pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:13px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
.m{display:inline-block;min-width:4em;font-family:monospace;color:#fff;border-radius:3px;padding:0 4px;text-align:center}
.get{background:#2a7ab0}.post{background:#2a9d55}.patch{background:#c98a00}.put{background:#8a5cc2}.delete{background:#c0392b}
</style></head><body>
<h1>${esc(doc.info?.title)} <small>${esc(doc.info?.version)}</small></h1>
<p>${esc(doc.info?.description).replace(/\n/g, "<br>")}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a></p>
<nav>${tags.map(t => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join("")}</nav>
${tags.map(t => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>${byTag.get(t)!.join("\n")}`).join("\n")}
</body></html>`;
}
