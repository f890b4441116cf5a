/**
 * A self-contained page that renders /api/openapi.json (no CDN: the product runs offline). Its script
 * and style are files of their own, as the CSP allows no inline ones.
 */
export const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>cloud2fa API</title>
<link rel="stylesheet" href="/api/docs.css"></head>
<body><h1>cloud2fa API</h1><p>Generated from <a href="/api/openapi.json">/api/openapi.json</a>.</p><div id="ops">Loading…</div>
<script src="/api/docs.js"></script></body></html>`;

export const docsStyle = `body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{margin-top:2rem;border-bottom:1px solid #ddd}code,pre{font:13px ui-monospace,monospace}
.op{border:1px solid #ddd;border-radius:6px;margin:.75rem 0;padding:.5rem .75rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700;text-transform:uppercase}
pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:20rem}
`;

export const docsScript = `fetch('/api/openapi.json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('ops');root.textContent='';
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths))for(const [method,op] of Object.entries(item)){
    const tag=(op.tags&&op.tags[0])||'Other';(byTag[tag]=byTag[tag]||[]).push({path,method,op});}
  for(const [tag,ops] of Object.entries(byTag)){
    const h=document.createElement('h2');h.textContent=tag;root.append(h);
    for(const {path,method,op} of ops){
      const d=document.createElement('details');d.className='op';
      const s=document.createElement('summary');
      s.innerHTML='<span class="m"></span> <code></code> — <span></span>';
      s.children[0].textContent=method;s.children[1].textContent='/api'+path;s.children[2].textContent=op.summary||'';
      const pre=document.createElement('pre');
      pre.textContent=JSON.stringify({request:op.requestBody||op.parameters||null,responses:op.responses},null,2);
      d.append(s,pre);root.append(d);}}
});
`;
