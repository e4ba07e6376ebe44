// Do files Kiln writes load in TensorFlow.js 4.22, computing what Kiln computes? Not run by the
// build. Inputs: the folder TfjsInteropExport writes (Sequential: an MLP, a small CNN, an LSTM;
// Functional: two inputs + Concatenate, a shared layer called twice, a nested Sequential, two
// outputs; each as a .keras archive and as a TF.js layers model, plus Kiln's predictions on fixed
// inputs):
//   ./mvnw -B -q -o test -pl api -am -Dtest=TfjsInteropExport \
//       -Dsurefire.failIfNoSpecifiedTests=false -Dkiln.interop.out=/tmp/kiln-interop
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/kiln_in_tfjs.js /tmp/kiln-interop \
//       > api/src/test/golden/kiln_in_tfjs.out.txt
// .keras: TF.js reads neither zip nor HDF5, so keras_archive_dump.py (zipfile + h5py) reads the
// archive; its Keras 3 config.json is rewritten in the Keras 2 form tfjs-layers deserializes
// (envelopes reduced to class_name + config: module, registered_name, build_config and
// compile_config dropped; a DTypePolicy as its name; InputLayer's batch_shape as
// batch_input_shape; a Functional node's {args, kwargs} with __keras_tensor__ entries as a list of
// [layer, node, tensor, kwargs], a nested Sequential's node indices counted from 1 as Keras 2 and
// TF.js count them), built with tf.models.modelFromJSON, and each layer (a nested
// model as one layer) given its weights with setWeights. TF.js model.json: read by
// tf.loadLayersModel through a file-reading IOHandler, as written. Each output must be within
// 1e-5 relative (floor 1e-2) of Kiln's.
const fs = require('fs');
const path = require('path');
const {execFileSync} = require('child_process');
const tf = require('@tensorflow/tfjs');

const DIR = process.argv[2] || '/tmp/kiln-interop';

// The [layer, node, tensor] histories of a Keras 3 node's args, in order.
function histories(v, out) {
  if (Array.isArray(v)) v.forEach((x) => histories(x, out));
  else if (v && v.class_name === '__keras_tensor__') out.push(v.config.keras_history);
  return out;
}

// Nested Sequentials that start with an InputLayer: Keras 2 and TF.js give them a node of their
// own when built, so their calls count from 1 where Keras 3 counts from 0.
function shiftedSequentials(layers) {
  return new Set(layers.filter((e) => e.class_name === 'Sequential'
      && e.config.layers.length && e.config.layers[0].class_name === 'InputLayer').map((e) => e.name));
}

function shift(h, shifted) {
  return shifted.has(h[0]) ? [h[0], h[1] + 1, ...h.slice(2)] : h;
}

function toKeras2(v, shifted = new Set()) {
  if (Array.isArray(v)) return v.map((x) => toKeras2(x, shifted));
  if (v && typeof v === 'object') {
    if (v.class_name === 'DTypePolicy' && v.config) return v.config.name;
    if (Array.isArray(v.layers) && v.input_layers) shifted = shiftedSequentials(v.layers);
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      if (['module', 'registered_name', 'build_config', 'compile_config'].includes(k)) continue;
      if (k === 'inbound_nodes') {
        out[k] = x.map((n) => (Array.isArray(n) ? n
            : histories(n.args, []).map((h) => [...shift(h, shifted), n.kwargs || {}])));
      } else if (k === 'input_layers' || k === 'output_layers') {
        out[k] = (typeof x[0] === 'string' ? [x] : x).map((h) => shift(h, shifted));
      } else {
        out[k === 'batch_shape' ? 'batch_input_shape' : k] = toKeras2(x, shifted);
      }
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
  const xs = p.inputs.map((a) => tf.tensor(a.values, a.shape));
  const pred = model.predict(xs.length === 1 ? xs[0] : xs);
  const ys = Array.isArray(pred) ? pred : [pred];
  let ok = ys.length === p.outputs.length;
  let worst = 0;
  ys.forEach((y, j) => {
    const e = p.outputs[j];
    const got = Array.from(y.dataSync());
    ok = ok && e && got.length === e.values.length
        && JSON.stringify(y.shape) === JSON.stringify(e.shape);
    for (let i = 0; e && i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - e.values[i]) / Math.max(1e-2, Math.abs(e.values[i])));
    }
  });
  ok = ok && worst <= 1e-5;
  const shapes = ys.map((y) => JSON.stringify(y.shape)).join(' ');
  console.log(`${ok ? 'OK  ' : 'FAIL'} ${name} ${how}: ${xs.length} input(s), output shape(s) ` +
      `${shapes}, max relative difference ${worst.toExponential(2)}`);
  return ok;
}

(async () => {
  await tf.setBackend('cpu');
  console.log('TensorFlow.js ' + tf.version.tfjs + ' on Node ' + process.version);
  const preds = JSON.parse(fs.readFileSync(path.join(DIR, 'kiln-predictions.json'), 'utf8'));
  let ok = true;
  const tries = async (name, how, load, p) => {
    try {
      return compare(name, how, await load(), p);
    } catch (e) {
      console.log(`FAIL ${name} ${how}: ${e.message}`);
      return false;
    }
  };
  for (const [name, p] of Object.entries(preds)) {
    ok = await tries(name, '.keras -> TF.js',
        () => fromArchive(path.join(DIR, name + '.keras')), p) && ok;
    ok = await tries(name, 'TF.js model.json -> TF.js',
        () => tf.loadLayersModel(fileHandler(path.join(DIR, name + '-tfjs', 'model.json'))), p) && ok;
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(2); });
