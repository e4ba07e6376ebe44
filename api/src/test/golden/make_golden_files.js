// Golden outputs of the TF.js layers-model samples that carry weights, computed by TensorFlow.js 4.22
// (CPU), which loads them with its own reader: an implementation independent of Kiln's. tfjs-node is
// not installed, so the files are read with fs and handed to tf.loadLayersModel through an IOHandler.
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_files.js
// It writes ../resources/golden/tfjs-files.json: for each sample its folder, model file, input and
// output.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const SAMPLES = path.join(__dirname, '..', 'resources', 'keras-config-samples', 'tfjs-layers');
const OUT = path.join(__dirname, '..', 'resources', 'golden', 'tfjs-files.json');

let state = 4242;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}

function handler(file, edit) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (edit) edit(json.modelTopology);
      const specs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const b = fs.readFileSync(path.join(path.dirname(file), p));
          buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
        }
      }
      const total = buffers.reduce((a, b) => a + b.byteLength, 0);
      const data = new Uint8Array(total);
      let off = 0;
      for (const b of buffers) {
        data.set(new Uint8Array(b), off);
        off += b.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: data.buffer,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
      };
    },
  };
}

const CASES = [
  {dir: 'tfjs-examples_abalone', file: 'model.json', shape: [3, 8], ints: 0},
  {dir: 'tfjs_e2e_layers_model', file: 'model.json', shape: [2, 10], ints: 100},
  {dir: 'tfjs_rn_bundle_model', file: 'bundle_model_test.json', shape: [3, 10], ints: 0},
  // The same weights with the GRU's recurrent activation set to sigmoid: TF.js's hard_sigmoid is
  // Keras 2's (clip(0.2x + 0.5)), Keras 3's is relu6(x + 3) / 6, so this case checks the weights
  // alone, whichever hard_sigmoid a reader picks.
  {dir: 'tfjs_e2e_layers_model', key: 'tfjs_e2e_layers_model_sigmoid', file: 'model.json',
    shape: [2, 10], ints: 100,
    edit: (t) => { t.config.layers[1].config.recurrent_activation = 'sigmoid'; }},
];

(async () => {
  await tf.setBackend('cpu');
  const out = {};
  for (const c of CASES) {
    const model = await tf.loadLayersModel(handler(path.join(SAMPLES, c.dir, c.file), c.edit));
    const n = c.shape.reduce((a, b) => a * b, 1);
    const v = [];
    for (let i = 0; i < n; i++) v.push(c.ints ? Math.floor(rand() * c.ints) : 4 * rand() - 2);
    const x = tf.tensor(v, c.shape);
    const y = model.predict(x);
    out[c.key || c.dir] = {file: c.file, input: x.arraySync(), output: y.arraySync()};
  }
  fs.writeFileSync(OUT, JSON.stringify(out, null, 1) + '\n');
  console.log('wrote ' + OUT);
})();
