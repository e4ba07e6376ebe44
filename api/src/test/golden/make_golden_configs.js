// Independent parameter counts for the Keras / TF.js config samples, computed by TF.js 4.22
// (tfjs-layers, an independent implementation of the Keras layers) on Node.
//
//   NODE_PATH=/path/to/node_modules node make_golden_configs.js SAMPLES_DIR OUT.json
//
// (run from api/src/test: SAMPLES_DIR resources/keras-config-samples, OUT
// resources/keras-config-samples/golden-config-params.json).
//
// For each JSON sample it builds the model from its topology alone (no weights) and records
// model.countParams(); where a TF.js model.json carries a weightsManifest, it also records the sum of
// the manifest's shape products (the stored weights). Samples TF.js cannot build are recorded with
// the error TF.js gives, so the Java test knows which figures exist.
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
const path = require('path');

const root = process.argv[2];
function walk(dir) {
  let out = [];
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (f.endsWith('.json') && !f.startsWith('golden-')) out.push(p);
  }
  return out;
}

async function main() {
  const result = {
    generator: 'TensorFlow.js ' + tf.version.tfjs + ' on Node ' + process.version,
    samples: {},
  };
  for (const file of walk(root)) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const entry = {};
    let topology = json.modelTopology !== undefined ? json.modelTopology : json;
    if (json.weightsManifest !== undefined) {
      let n = 0;
      for (const group of json.weightsManifest) {
        for (const w of group.weights) n += w.shape.reduce((a, b) => a * b, 1);
      }
      entry.manifest_params = n;
    }
    try {
      const model = await tf.models.modelFromJSON({modelTopology: topology});
      entry.tfjs_params = model.countParams();
    } catch (e) {
      entry.tfjs_error = String(e.message || e).split('\n')[0];
    }
    result.samples[rel] = entry;
  }
  fs.writeFileSync(process.argv[3], JSON.stringify(result, null, 2) + '\n');
}
main();
