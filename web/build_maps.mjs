// Converts the npm map packages into the JSON the web app ships (pipeline/web/static/maps/), with their licences.
// Run by scripts/build_web_assets.sh (an optional argument names another output folder); tests/unit/test_web_assets.py
// checks the shipped files match the packages.
import { writeFileSync, readFileSync } from "node:fs";
import mexico from "@svg-maps/mexico";
import usa from "@svg-maps/usa";

const target = process.argv[2] ? `file://${process.argv[2].replace(/\/?$/, "/")}` : "../pipeline/web/static/maps/";
const out = new URL(target, import.meta.url);
for (const [name, map, pkg] of [["mexico", mexico, "@svg-maps/mexico"], ["usa", usa, "@svg-maps/usa"]]) {
  const shipped = { source: `${pkg}@${JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url))).version}`,
                    license: "CC-BY-4.0", viewBox: map.viewBox,
                    locations: map.locations.map(({ id, name, path }) => ({ id, name, path })) };
  writeFileSync(new URL(`${name}.json`, out), JSON.stringify(shipped) + "\n");
  writeFileSync(new URL(`${name}.LICENSE.md`, out), readFileSync(new URL(`./node_modules/${pkg}/LICENSE.md`, import.meta.url)));
}
