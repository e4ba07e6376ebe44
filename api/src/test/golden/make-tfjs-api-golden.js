// Golden values for Kiln's losses, metrics and optimizers, computed by TensorFlow.js (CPU), an
// implementation of the Keras layers independent of Kiln. Run from this folder:
//   npm install --no-save @tensorflow/tfjs@4
//   node make-tfjs-api-golden.js > ../resources/golden/tfjs-api.txt
// Format: "case NAME", then "in DIMS : values" per input and "out DIMS : values" per output.
// Inputs come from a fixed LCG so reruns match.
const tf = require('@tensorflow/tfjs');
const M = tf.metrics;

// Losses that tf.metrics does not export are reached through a linear model compiled with the
// loss by its Keras name, evaluated one row at a time to get per-sample values.
function viaModel(name) {
  return (t, p) => {
    const k = p.shape[1];
    const m = tf.sequential({layers: [tf.layers.activation({activation: 'linear', inputShape: [k]})]});
    m.compile({loss: name, optimizer: 'sgd'});
    const vals = [];
    for (let i = 0; i < p.shape[0]; i++) {
      const r = m.evaluate(p.slice([i, 0], [1, k]), t.slice([i, 0], [1, t.shape[1]]));
      vals.push(r.dataSync()[0]);
    }
    return tf.tensor(vals, [p.shape[0]]);
  };
}
const L = {
  meanSquaredError: M.meanSquaredError,
  meanAbsoluteError: M.meanAbsoluteError,
  meanAbsolutePercentageError: M.meanAbsolutePercentageError,
  cosineProximity: M.cosineProximity,
  binaryCrossentropy: M.binaryCrossentropy,
  categoricalCrossentropy: (t, p) => M.categoricalCrossentropy(t, p),
  logcosh: viaModel('logcosh'),
  meanSquaredLogarithmicError: viaModel('meanSquaredLogarithmicError'),
  poisson: viaModel('poisson'),
  hinge: viaModel('hinge'),
  squaredHinge: viaModel('squaredHinge'),
  categoricalHinge: viaModel('categoricalHinge'),
  kullbackLeiblerDivergence: viaModel('kullbackLeiblerDivergence'),
};

let state = 2024;
function rand() {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  return state / 4294967296;
}
function uniform(shape, lo, hi) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = lo + (hi - lo) * rand();
  return tf.tensor(v, shape, 'float32');
}
function probs(shape) {
  return tf.softmax(uniform(shape, -2, 2));
}
function onehot(rows, k) {
  const ids = [];
  for (let i = 0; i < rows; i++) ids.push(Math.floor(rand() * k));
  return [tf.tensor(ids, [rows], 'int32'), tf.oneHot(tf.tensor(ids, [rows], 'int32'), k).toFloat()];
}
function binary(shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rand() < 0.5 ? 0 : 1;
  return tf.tensor(v, shape, 'float32');
}
function line(kind, t) {
  const dims = t.shape.length ? t.shape.join(',') : '-';
  const vals = Array.from(t.dataSync()).map((x) => x.toPrecision(9));
  return `${kind} ${dims} : ${vals.join(' ')}`;
}
function emit(name, inputs, outputs) {
  console.log(`case ${name}`);
  inputs.forEach((t) => console.log(line('in', t)));
  outputs.forEach((t) => console.log(line('out', t)));
}

// Losses, unreduced: one value per sample.
const B = 5, K = 4;
{
  const t = uniform([B, K], -1, 2), p = uniform([B, K], -1, 2);
  emit('loss mean_squared_error', [t, p], [L.meanSquaredError(t, p)]);
  emit('loss mean_absolute_error', [t, p], [L.meanAbsoluteError(t, p)]);
  emit('loss mean_absolute_percentage_error', [t, p], [L.meanAbsolutePercentageError(t, p)]);
  emit('loss log_cosh', [t, p], [L.logcosh(t, p)]);
  emit('loss cosine_similarity', [t, p], [L.cosineProximity(t, p)]);
}
{
  const t = uniform([B, K], 0, 3), p = uniform([B, K], 0, 3);
  emit('loss mean_squared_logarithmic_error', [t, p], [L.meanSquaredLogarithmicError(t, p)]);
  emit('loss poisson', [t, p], [L.poisson(t, p)]);
}
{
  // TF.js's hinge takes -1/1 labels as they are; Keras would also map 0/1 to -1/1.
  const t = tf.sub(tf.mul(binary([B, K]), 2), 1), p = uniform([B, K], -2, 2);
  emit('loss hinge', [t, p], [L.hinge(t, p)]);
  emit('loss squared_hinge', [t, p], [L.squaredHinge(t, p)]);
}
{
  const [, t] = onehot(B, K);
  const p = uniform([B, K], -2, 2);
  emit('loss categorical_hinge', [t, p], [L.categoricalHinge(t, p)]);
}
{
  const t = binary([B, K]), p = tf.sigmoid(uniform([B, K], -3, 3));
  emit('loss binary_crossentropy', [t, p], [L.binaryCrossentropy(t, p)]);
}
{
  const [ids, t] = onehot(B, K);
  const p = probs([B, K]);
  emit('loss categorical_crossentropy', [t, p], [L.categoricalCrossentropy(t, p)]);
  const sparse = tf.sequential({layers: [tf.layers.activation({activation: 'linear', inputShape: [K]})]});
  sparse.compile({loss: 'sparseCategoricalCrossentropy', optimizer: 'sgd'});
  const sv = [];
  for (let i = 0; i < B; i++) {
    sv.push(sparse.evaluate(p.slice([i, 0], [1, K]), ids.slice([i], [1]).reshape([1, 1]).toFloat()).dataSync()[0]);
  }
  emit('loss sparse_categorical_crossentropy', [ids.toFloat(), p], [tf.tensor(sv, [B])]);
  const q = probs([B, K]);
  emit('loss kl_divergence', [q, p], [L.kullbackLeiblerDivergence(q, p)]);
  const logits = uniform([B, K], -3, 3);
  emit('loss categorical_crossentropy_logits', [t, logits], [tf.losses.softmaxCrossEntropy(t, logits, undefined, 0, tf.Reduction.NONE)]);
}

// Metrics over one batch (the mean TF.js reports).
{
  const t = binary([8, 1]), p = uniform([8, 1], 0, 1);
  emit('metric binary_accuracy', [t, p], [tf.mean(M.binaryAccuracy(t, p))]);
  emit('metric precision', [t, p], [M.precision(t, p)]);
  emit('metric recall', [t, p], [M.recall(t, p)]);
}
{
  const [ids, t] = onehot(8, K);
  const p = probs([8, K]);
  emit('metric categorical_accuracy', [t, p], [tf.mean(M.categoricalAccuracy(t, p))]);
  emit('metric sparse_categorical_accuracy', [ids.toFloat(), p], [tf.mean(M.sparseCategoricalAccuracy(ids.toFloat(), p))]);
}
{
  const t = uniform([8, 1], -1, 1), p = uniform([8, 1], -1, 1);
  emit('metric r2_score', [t, p], [M.r2Score(t, p)]);
}

// Optimizers: minimize sum(0.5 * a * w^2 + b * w) from w0 for 5 steps; out = w after each step.
function trajectory(name, opt) {
  const a = uniform([6], 0.5, 2), b = uniform([6], -1, 1), w0 = uniform([6], -1, 1);
  const w = tf.variable(w0.clone());
  const outs = [];
  for (let i = 0; i < 5; i++) {
    opt.minimize(() => tf.sum(tf.add(tf.mul(0.5, tf.mul(a, tf.square(w))), tf.mul(b, w))));
    outs.push(w.clone());
  }
  emit('optimizer ' + name, [a, b, w0], outs);
}
trajectory('sgd', tf.train.sgd(0.1));
trajectory('sgd_momentum', tf.train.momentum(0.1, 0.9, false));
trajectory('sgd_nesterov', tf.train.momentum(0.1, 0.9, true));
// A tiny epsilon: TF.js adds it to sqrt(v_hat), Keras to sqrt(v), which differ by sqrt(1 - b2^t).
trajectory('adam', tf.train.adam(0.1, 0.9, 0.999, 1e-12));
trajectory('adamax', tf.train.adamax(0.1, 0.9, 0.999, 1e-7));
trajectory('adagrad', tf.train.adagrad(0.1, 0.1));
// Not Adadelta: TF.js 4.22 divides by the accumulated squared gradient from before this step, where
// Keras uses the updated one; OptimizersTest checks Adadelta by hand instead.
trajectory('rmsprop', tf.train.rmsprop(0.01, 0.9, 0, 1e-7, false));
trajectory('rmsprop_momentum_centered', tf.train.rmsprop(0.01, 0.9, 0.5, 1e-7, true));
