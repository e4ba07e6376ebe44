// Golden forward values for the recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional,
// TimeDistributed, ConvLSTM2D), computed by TensorFlow.js (CPU), an implementation of Keras's layers independent
// of Kiln. TF.js's GRU has no reset_after=true (Keras 3's default), so that variant is computed here
// from TF.js ops, step by step, with Keras 3's equations written out. Run it with TF.js installed
// outside the repository (no node_modules here):
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_rnn.js
// It writes ../resources/golden/tfjs-rnn.json: for each case the input, the weights in Keras's
// order (kernel, recurrent_kernel, bias; gates i,f,c,o for LSTM and z,r,h for GRU) and the outputs.
//
// The weights are drawn from [-1, 1] so that the gates saturate differently: a transposed kernel, a
// wrong gate order, reset_after confused with its opposite or a mask ignored all change the numbers.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const OUT = path.join(__dirname, '..', 'resources', 'golden');

// A small linear congruential generator, so the file does not change from run to run.
let state = 12345;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
const uniform = (shape, lo = -1, hi = 1) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = [];
  for (let i = 0; i < n; i++) v.push(lo + (hi - lo) * rand());
  return tf.tensor(v, shape);
};

const nested = (t) => t.arraySync();

function pretty(v, indent = '') {
  const flat = (x) => x === null || typeof x !== 'object' ||
    (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object' || flat(e)));
  if (flat(v)) return JSON.stringify(v);
  const next = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((e) => next + pretty(e, next)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, e]) => `${next}${JSON.stringify(k)}: ${pretty(e, next)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

const B = 2;
const T = 5;
const F = 3;
const U = 4;

// Random weights for a layer already built; returns them in the layer's (Keras's) order.
function randomizeWeights(layer) {
  const ws = layer.getWeights().map((w) => uniform(w.shape));
  layer.setWeights(ws);
  return ws.map(nested);
}

function outputsOf(y) {
  return (Array.isArray(y) ? y : [y]).map(nested);
}

// One layer over a float input (batch, T, F).
function floatCase(makeLayer, description) {
  const x = uniform([B, T, F]);
  const input = tf.input({shape: [T, F]});
  const layer = makeLayer();
  const out = layer.apply(input);
  const model = tf.model({inputs: input, outputs: out});
  const weights = randomizeWeights(layer);
  return {description, input: nested(x), weights, outputs: outputsOf(model.predict(x))};
}

// ConvLSTM2D over (batch, 3 steps, 5, 5, 2 channels).
function convCase(makeLayer, description) {
  const x = uniform([B, 3, 5, 5, 2]);
  const input = tf.input({shape: [3, 5, 5, 2]});
  const layer = makeLayer();
  const model = tf.model({inputs: input, outputs: layer.apply(input)});
  const weights = randomizeWeights(layer);
  return {description, input: nested(x), weights, outputs: outputsOf(model.predict(x))};
}

// Embedding(10, F, mask_zero) then the layer, over ids with padding (0) at the start, the middle
// and the end, so that masked steps both before and after real ones are exercised.
const IDS = [[0, 3, 0, 7, 2], [5, 1, 9, 0, 0]];

function maskedCase(makeLayer, description) {
  const input = tf.input({shape: [T], dtype: 'int32'});
  const embedding = tf.layers.embedding({inputDim: 10, outputDim: F, maskZero: true});
  const layer = makeLayer();
  const out = layer.apply(embedding.apply(input));
  const model = tf.model({inputs: input, outputs: out});
  const embeddingWeights = randomizeWeights(embedding);
  const weights = randomizeWeights(layer);
  return {
    description,
    ids: IDS,
    embedding: embeddingWeights,
    weights,
    outputs: outputsOf(model.predict(tf.tensor2d(IDS, [B, T], 'int32'))),
  };
}

// Keras 3's GRU with reset_after=true (TF.js lacks it), from TF.js ops:
//   x_z, x_r, x_h = x W + b_in;  r_z, r_r, r_h = h U + b_rec
//   z = sigmoid(x_z + r_z); r = sigmoid(x_r + r_r); hh = tanh(x_h + r * r_h)
//   h = z * h + (1 - z) * hh
function gruResetAfter(x, kernel, recurrent, bias, goBackwards) {
  const steps = tf.unstack(x, 1);
  if (goBackwards) steps.reverse();
  let h = tf.zeros([x.shape[0], U]);
  const outs = [];
  const bIn = bias.slice([0, 0], [1, 3 * U]).reshape([3 * U]);
  const bRec = bias.slice([1, 0], [1, 3 * U]).reshape([3 * U]);
  for (const xt of steps) {
    const xs = tf.split(tf.add(tf.matMul(xt, kernel), bIn), 3, 1);
    const rs = tf.split(tf.add(tf.matMul(h, recurrent), bRec), 3, 1);
    const z = tf.sigmoid(tf.add(xs[0], rs[0]));
    const r = tf.sigmoid(tf.add(xs[1], rs[1]));
    const hh = tf.tanh(tf.add(xs[2], tf.mul(r, rs[2])));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    outs.push(h);
  }
  return {last: h, sequence: tf.stack(outs, 1)};
}

function gruResetAfterCase(goBackwards, description) {
  const x = uniform([B, T, F]);
  const kernel = uniform([F, 3 * U]);
  const recurrent = uniform([U, 3 * U]);
  const bias = uniform([2, 3 * U]);
  const r = gruResetAfter(x, kernel, recurrent, bias, goBackwards);
  // The near miss: the same weights as the reset_after=false GRU would use them (reset before the
  // recurrent matmul, only the input bias row), to show the data tells the two apart.
  const v1 = tf.layers.gru({units: U, recurrentActivation: 'sigmoid', returnSequences: true,
    goBackwards});
  const input = tf.input({shape: [T, F]});
  const model = tf.model({inputs: input, outputs: v1.apply(input)});
  v1.setWeights([kernel, recurrent, bias.slice([0, 0], [1, 3 * U]).reshape([3 * U])]);
  return {
    description,
    input: nested(x),
    weights: [nested(kernel), nested(recurrent), nested(bias)],
    outputs: [nested(r.sequence), nested(r.last)],
    near_miss_reset_before: nested(model.predict(x)),
  };
}

const sig = 'sigmoid';
const cases = {
  simple_rnn_sequences: floatCase(
    () => tf.layers.simpleRNN({units: U, returnSequences: true}),
    'SimpleRNN(4, return_sequences=True)'),
  simple_rnn_backwards_last: floatCase(
    () => tf.layers.simpleRNN({units: U, goBackwards: true}),
    'SimpleRNN(4, go_backwards=True): the last output'),
  lstm_state: floatCase(
    () => tf.layers.lstm({units: U, recurrentActivation: sig, returnState: true}),
    'LSTM(4, return_state=True): output, h, c'),
  lstm_backwards_sequences: floatCase(
    () => tf.layers.lstm({units: U, recurrentActivation: sig, returnSequences: true,
      goBackwards: true}),
    'LSTM(4, return_sequences=True, go_backwards=True): outputs in the order computed'),
  gru_reset_before_sequences: floatCase(
    () => tf.layers.gru({units: U, recurrentActivation: sig, returnSequences: true,
      returnState: true}),
    'GRU(4, reset_after=False, return_sequences=True, return_state=True)'),
  gru_reset_after: gruResetAfterCase(false, 'GRU(4, reset_after=True, return_sequences=True)'),
  gru_reset_after_backwards: gruResetAfterCase(
    true, 'GRU(4, reset_after=True, return_sequences=True, go_backwards=True)'),
  lstm_masked_sequences: maskedCase(
    () => tf.layers.lstm({units: U, recurrentActivation: sig, returnSequences: true}),
    'Embedding(10, 3, mask_zero=True) then LSTM(4, return_sequences=True)'),
  gru_masked_last: maskedCase(
    () => tf.layers.gru({units: U, recurrentActivation: sig, goBackwards: true}),
    'Embedding(10, 3, mask_zero=True) then GRU(4, reset_after=False, go_backwards=True)'),
  simple_rnn_masked_state: maskedCase(
    () => tf.layers.simpleRNN({units: U, returnState: true}),
    'Embedding(10, 3, mask_zero=True) then SimpleRNN(4, return_state=True)'),
  bidirectional_lstm_concat: floatCase(
    () => tf.layers.bidirectional({
      layer: tf.layers.lstm({units: U, recurrentActivation: sig, returnSequences: true}),
      mergeMode: 'concat'}),
    'Bidirectional(LSTM(4, return_sequences=True), merge_mode="concat"): weights forward then backward'),
  bidirectional_gru_sum: floatCase(
    () => tf.layers.bidirectional({
      layer: tf.layers.gru({units: U, recurrentActivation: sig}), mergeMode: 'sum'}),
    'Bidirectional(GRU(4, reset_after=False), merge_mode="sum")'),
  time_distributed_dense: floatCase(
    () => tf.layers.timeDistributed({layer: tf.layers.dense({units: 2, activation: 'tanh'})}),
    'TimeDistributed(Dense(2, activation="tanh"))'),
  conv_lstm_same_sequences: convCase(
    () => tf.layers.convLstm2d({filters: 2, kernelSize: 3, padding: 'same',
      recurrentActivation: sig, returnSequences: true}),
    'ConvLSTM2D(2, 3, padding="same", return_sequences=True) over (2, 3, 5, 5, 2)'),
  conv_lstm_strided_state: convCase(
    () => tf.layers.convLstm2d({filters: 3, kernelSize: [2, 3], strides: 2,
      recurrentActivation: sig, returnState: true}),
    'ConvLSTM2D(3, (2, 3), strides=2, padding="valid", return_state=True) over (2, 3, 5, 5, 2)'),
};

// Bidirectional with initial states (Keras: the first half of initial_state to the forward layer,
// the second half to the backward one). Added after the others so their draws stay the same.
function bidirectionalStatesCase(description) {
  const x = uniform([B, T, F]);
  const states = [0, 1, 2, 3].map(() => uniform([B, U]));
  const input = tf.input({shape: [T, F]});
  const stateInputs = states.map(() => tf.input({shape: [U]}));
  const layer = tf.layers.bidirectional({
    layer: tf.layers.lstm({units: U, recurrentActivation: sig, returnSequences: true,
      returnState: true}),
    mergeMode: 'concat'});
  const out = layer.apply(input, {initialState: stateInputs});
  const model = tf.model({inputs: [input, ...stateInputs], outputs: out});
  const weights = randomizeWeights(layer);
  return {description, input: nested(x), states: states.map(nested), weights,
    outputs: outputsOf(model.predict([x, ...states]))};
}
cases.bidirectional_lstm_initial_states = bidirectionalStatesCase(
  'Bidirectional(LSTM(4, return_sequences=True, return_state=True)) with initial_state ' +
  '[h_fw, c_fw, h_bw, c_bw]: outputs merged, h_fw, c_fw, h_bw, c_bw');

fs.writeFileSync(path.join(OUT, 'tfjs-rnn.json'), pretty(cases) + '\n');
