const M = require('/usr/share/nodejs/mustache/mustache.js'), fs = require('fs');
global.window = {}; global.document = { querySelectorAll: () => [] };
eval(fs.readFileSync(process.argv[2], 'utf8'));
const R = window.newsflashRender;
const SEED = "{{ #verifyErrors }} {{ message }} {{ /verifyErrors }} {{ ^verifyErrors }} Something went wrong. Please try again later {{ /verifyErrors }}";
const cases = [
 [SEED, {"verifyErrors":[{"message":"Please enter a valid email address"}]}],
 [SEED, {}], [SEED, {"verifyErrors":[]}], [SEED, {"verifyErrors":false}],
 [SEED, {"verifyErrors":[{"message":"one"},{"message":"two <b>&</b>"}]}],
 [SEED, {"error":"x"}],
 ["{{#a}}{{.}},{{/a}}", {a:[1,"x",0,true]}],
 ["{{#s}}[{{.}}]{{/s}}{{^s}}none{{/s}}", {s:"str"}],
 ["{{#s}}[{{.}}]{{/s}}{{^s}}none{{/s}}", {s:""}],
 ["{{#n}}[{{.}}]{{/n}}{{^n}}zero{{/n}}", {n:0}],
 ["{{u.name}} {{{raw}}} {{&raw}} {{raw}} {{! comment }}end", {u:{name:"A&B"}, raw:"<i>'/=`\"</i>"}],
 ["{{#u}}{{name}} {{top}}{{/u}}", {u:{name:"in"}, top:"out"}],
 ["{{#b}}yes{{/b}}{{^b}}no{{/b}}", {b:true}],
 ["{{missing}}|{{#missing}}x{{/missing}}|{{^missing}}y{{/missing}}", {}],
 ["{{  #a  }}{{  b  }}{{  /a  }}", {a:{b:"pad"}}],
 ["{{#a}}{{#b}}{{c}}{{/b}}{{/a}}", {a:[{b:[{c:1},{c:2}]},{b:false}], c:"outer"}],
 ["{{n}} {{f}}", {n:2.5, f:false}],
];
let bad = 0;
for (const [t, d] of cases) {
  const a = R(t, d), b = M.render(t, d);
  if (a !== b) { bad++; console.log("FAIL " + JSON.stringify(t) + " " + JSON.stringify(d) + " ours=" + JSON.stringify(a) + " mustache.js=" + JSON.stringify(b)); }
  else console.log("ok same as mustache.js: " + JSON.stringify(t).slice(0,60) + " with " + JSON.stringify(d).slice(0,60));
}
process.exit(bad ? 1 : 0);
