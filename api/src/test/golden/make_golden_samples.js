// Golden outputs of every sample in ../resources/keras-config-samples that carries weights,
// computed by TensorFlow.js 4.22 (CPU backend), an implementation independent of Kiln:
//  - the TF.js layers models are read by tf.loadLayersModel through a file-reading IOHandler;
//  - the Keras 2 full-model .h5 files, which TF.js cannot read, are dumped by h5py
//    (h5_model_dump.py: model_config and each layer's weights in the file's order), the model is
//    built from the config by tf.models.modelFromJSON and each layer's weights set with setWeights.
// TF.js has no SpatialDropout2D; it is the identity in inference, so the script builds it as a
// Dropout (also the identity in inference) and says so in the output.
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_samples.js
// It writes ../resources/golden/tfjs-samples.json: for each sample its input shape, the input and
// the output (flattened, C order), and any change made to build it in TF.js.
const fs = require('fs');
const path = require('path');
const {execFileSync} = require('child_process');
const tf = require('@tensorflow/tfjs');

const SAMPLES = path.join(__dirname, '..', 'resources', 'keras-config-samples');
const OUT = path.join(__dirname, '..', 'resources', 'golden', 'tfjs-samples.json');

let state = 1515;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}

function tfjsHandler(file) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(file, 'utf8'));
      const specs = [];
      const parts = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) parts.push(fs.readFileSync(path.join(path.dirname(file), p)));
      }
      const all = Buffer.concat(parts);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

// Replaces layers TF.js lacks by what they compute in inference; returns what was changed.
function adapt(config, changes) {
  if (Array.isArray(config)) {
    config.forEach((c) => adapt(c, changes));
  } else if (config && typeof config === 'object') {
    if (config.class_name === 'SpatialDropout2D') {
      changes.push('SpatialDropout2D ' + config.config.name + ' built as Dropout (inference identity)');
      config.class_name = 'Dropout';
      delete config.config.data_format;
    }
    Object.values(config).forEach((v) => adapt(v, changes));
  }
}

async function fromH5(file) {
  const dump = JSON.parse(execFileSync('/usr/bin/python3', [path.join(__dirname, 'h5_model_dump.py'), file],
      {maxBuffer: 1 << 28}).toString());
  const changes = [];
  adapt(dump.model_config, changes);
  const model = await tf.models.modelFromJSON({modelTopology: dump.model_config});
  for (const layer of model.layers) {
    const ws = dump.weights[layer.name] || [];
    if (ws.length) layer.setWeights(ws.map((w) => tf.tensor(w.values, w.shape, 'float32')));
  }
  return {model, changes};
}

const CASES = [
  {file: 'keras2-hdf5/dl4j_examples_lstm_functional_tf_keras_2.h5', shape: [2, 10, 4]},
  {file: 'keras2-hdf5/dl4j_tfkeras_batchNormError.h5', shape: [2, 25, 25]},
  {file: 'keras2-hdf5/dl4j_tfkeras_cnn2d_40.h5', shape: [2, 3, 10, 10]},
  {file: 'keras2-hdf5/dl4j_tfkeras_rnn_101.h5', shape: [2, 4, 1]},
  {file: 'keras2-hdf5/dl4j_weights_bidirectional_lstm_tensorflow_2.h5', shape: [2, 4, 10]},
  {file: 'keras2-hdf5/dl4j_weights_sepconv2d_tensorflow_2.h5', shape: [2, 3, 4, 5]},
  {file: 'tfjs-layers/tfjs-examples_abalone/model.json', shape: [3, 8]},
  // Embedding + GRU whose recurrent activation is TF.js's (Keras 2's) hard_sigmoid.
  {file: 'tfjs-layers/tfjs_e2e_layers_model/model.json', shape: [2, 10], ints: 100},
  {file: 'tfjs-layers/tfjs_rn_bundle_model/bundle_model_test.json', shape: [3, 10]},
];

(async () => {
  await tf.setBackend('cpu');
  const out = {generator: 'TensorFlow.js ' + tf.version.tfjs + ' on Node ' + process.version, samples: {}};
  for (const c of CASES) {
    const full = path.join(SAMPLES, c.file);
    const {model, changes} = c.file.endsWith('.h5')
      ? await fromH5(full)
      : {model: await tf.loadLayersModel(tfjsHandler(full)), changes: []};
    const n = c.shape.reduce((a, b) => a * b, 1);
    const v = [];
    for (let i = 0; i < n; i++) v.push(c.ints ? Math.floor(rand() * c.ints) : 4 * rand() - 2);
    const x = tf.tensor(v, c.shape, c.ints ? 'int32' : 'float32');
    const y = model.predict(x);
    out.samples[c.file] = {
      input_shape: c.shape, input_dtype: c.ints ? 'int32' : 'float32', input: Array.from(x.dataSync()),
      output_shape: y.shape, output: Array.from(y.dataSync()), changes,
    };
    console.log(c.file, JSON.stringify(y.shape), changes.join('; '));
  }
  fs.writeFileSync(OUT, JSON.stringify(out) + '\n');
  console.log('wrote ' + OUT);
})().catch((e) => { console.error(e); process.exit(1); });
