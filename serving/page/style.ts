/**
 * The page's stylesheet, inlined (its sha256 is in the Content-Security-Policy). Species colours
 * are Okabe and Ito's, told apart with colour blindness; focus is always visible.
 */
export const PAGE_STYLE = `
:root{font:16px/1.45 system-ui,sans-serif;color:#1b1b1b;background:#fafafa}
body{margin:0 auto;max-width:70rem;padding:1rem 1.25rem 2rem}
h1{font-size:1.5rem;margin:.25rem 0}h2{font-size:1.1rem;margin:0 0 .5rem}
main{display:grid;gap:1rem 1.5rem;grid-template-columns:repeat(auto-fit,minmax(min(26rem,100%),1fr))}
section,figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:1rem}
.field{display:grid;grid-template-columns:1fr 5.5rem;gap:.1rem .75rem;align-items:center;margin-bottom:.6rem}
.field label{grid-column:1/3;font-weight:600}.hint{font-size:.8rem;color:#555}
.token input{width:100%;font:inherit;box-sizing:border-box}
input[type=number]{width:5rem;font:inherit;padding:.15rem .3rem}
input[type=range]{width:100%}
input:focus-visible,button:focus-visible{outline:3px solid #0a58ca;outline-offset:2px}
button{font:inherit;padding:.3rem .7rem;margin:.2rem .3rem .2rem 0;border:1px solid #888;border-radius:.3rem;background:#f2f2f2;cursor:pointer}
fieldset{border:0;padding:0;margin:.75rem 0 0}legend{font-weight:600;padding:0}
#species{font-size:1.4rem;font-weight:700}
.prob{display:grid;grid-template-columns:6rem 1fr 3rem;gap:.5rem;align-items:center;margin:.25rem 0}
.bar{height:.9rem;background:#eee;border-radius:.2rem;overflow:hidden}
.bar span{display:block;height:100%;width:0}
.prob .pct{text-align:right;font-variant-numeric:tabular-nums}
.stale .prob,.stale #is-iris{opacity:.35}
#error{background:#fde8e8;border:1px solid #c62828;color:#7f1010;padding:.5rem .75rem;border-radius:.3rem}
#error[hidden]{display:none}
.s0{fill:#0072b2;background:#0072b2}.s1{fill:#e69f00;background:#e69f00}.s2{fill:#009e73;background:#009e73}
.legend span{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin:0 .3rem 0 .8rem;vertical-align:-.05rem}
.plots{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(26rem,100%),1fr));grid-column:1/-1}
.legend{grid-column:1/-1;margin:0}
svg{width:100%;height:auto;font-size:10px}svg circle[data-i]{fill-opacity:.6}
svg .grid{stroke:#e5e5e5}svg text{fill:#333}
.you circle{fill:none;stroke:#000;stroke-width:2.5}.you path{stroke:#000;stroke-width:1.5}
.off-plot circle{stroke-dasharray:3 2}
pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:.75rem;border-radius:.3rem;font-size:.85rem}
code{font-family:ui-monospace,monospace}
`;
