// Do files Kiln writes load in TensorFlow.js 4.22, computing what Kiln computes? Not run by the
// build. Inputs: the folder TfjsInteropExport writes (an MLP, a small CNN and an LSTM, each as a
// .keras archive and as a TF.js layers model, plus Kiln's predictions on a fixed input):
//   ./mvnw -B -q -o test -pl api -am -Dtest=TfjsInteropExport \
//       -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.interop.out=/tmp/kiln-interop
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/kiln_in_tfjs.js /tmp/kiln-interop \
//       > api/src/test/golden/kiln_in_tfjs.out.txt
// .keras: TF.js reads neither zip nor HDF5, so keras_archive_dump.py (zipfile + h5py) reads the
// archive; its Keras 3 config.json is rewritten in the Keras 2 form tfjs-layers deserializes
// (envelopes reduced to class_name + config: module, registered_name, build_config and
// compile_config dropped; a DTypePolicy as its name; InputLayer's batch_shape as
// batch_input_shape), built with tf.models.modelFromJSON, and each layer given its weights with
// setWeights. TF.js model.json: read by tf.loadLayersModel through a file-reading IOHandler, as
// written. Each output must be within 1e-5 relative (floor 1e-2) of Kiln's.
const fs = require('fs');
const path = require('path');
const {execFileSync} = require('child_process');
const tf = require('@tensorflow/tfjs');

const DIR = process.argv[2] || '/tmp/kiln-interop';

function toKeras2(v) {
  if (Array.isArray(v)) return v.map(toKeras2);
  if (v && typeof v === 'object') {
    if (v.class_name === 'DTypePolicy' && v.config) return v.config.name;
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (['module', 'registered_name', 'build_config', 'compile_config'].includes(k)) continue;
      out[k === 'batch_shape' ? 'batch_input_shape' : k] = toKeras2(x);
    }
    return out;
  }
  return v;
}

function fileHandler(file) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const specs = [];
      const parts = [];
      for (const g of json.weightsManifest) {
        specs.push(...g.weights);
        for (const p of g.paths) parts.push(fs.readFileSync(path.join(path.dirname(file), p)));
      }
      const all = Buffer.concat(parts);
      return {modelTopology: json.modelTopology, weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength)};
    },
  };
}

async function fromArchive(file) {
  const dump = JSON.parse(execFileSync('/usr/bin/python3',
      [path.join(__dirname, 'keras_archive_dump.py'), file], {maxBuffer: 1 << 28}).toString());
  const model = await tf.models.modelFromJSON({modelTopology: toKeras2(dump.config)});
  for (const layer of model.layers) {
    const ws = dump.weights[layer.name];
    if (ws) layer.setWeights(ws.map((w) => tf.tensor(w.values, w.shape, 'float32')));
    else if (layer.weights.length) throw new Error('no weights in the archive for ' + layer.name);
  }
  return model;
}

function compare(name, how, model, p) {
  const y = model.predict(tf.tensor(p.input, p.input_shape));
  const got = Array.from(y.dataSync());
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const e = p.output[i];
    worst = Math.max(worst, Math.abs(got[i] - e) / Math.max(1e-2, Math.abs(e)));
  }
  const ok = got.length === p.output.length && JSON.stringify(y.shape) === JSON.stringify(p.output_shape)
      && worst <= 1e-5;
  console.log(`${ok ? 'OK  ' : 'FAIL'} ${name} ${how}: shape ${JSON.stringify(y.shape)}, ` +
      `max relative difference ${worst.toExponential(2)}`);
  return ok;
}

(async () => {
  await tf.setBackend('cpu');
  console.log('TensorFlow.js ' + tf.version.tfjs + ' on Node ' + process.version);
  const preds = JSON.parse(fs.readFileSync(path.join(DIR, 'kiln-predictions.json'), 'utf8'));
  let ok = true;
  for (const [name, p] of Object.entries(preds)) {
    ok = compare(name, '.keras -> TF.js', await fromArchive(path.join(DIR, name + '.keras')), p) && ok;
    ok = compare(name, 'TF.js model.json -> TF.js',
        await tf.loadLayersModel(fileHandler(path.join(DIR, name + '-tfjs', 'model.json'))), p) && ok;
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
