// Golden forward values for the normalization, regularization and activation layers, computed by
// TensorFlow.js (CPU), an implementation of the Keras layers independent of Kiln. Where TF.js has
// the layer (LayerNormalization, PReLU, LeakyReLU, ELU, Softmax) its layer computes the value;
// where it lacks the layer or the argument (GroupNormalization, UnitNormalization,
// RMSNormalization, LayerNormalization's rms_scaling, ReLU's negative_slope and threshold, ELU's
// alpha other than 1, Softmax's mask and non-last axes) the value is computed here from TF.js ops,
// step by step after Keras 3's source. BatchNormalization's outputs come from TF.js ops checked
// against its layer (see batchNorm below: TF.js's layer is wrong for a channels-first axis).
// Run it with TF.js installed outside the repository (no node_modules here):
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_norm.js
// It writes ../resources/golden/tfjs-norm.json.
//
// Every case records, besides the weights (in Keras's order), inputs and outputs, a "near miss":
// the output of a plausible wrong formula (unbiased variance, the moving statistics' update the
// wrong way round, the slope on the wrong side...), so the tests can check that their data tells
// the right formula from the wrong one.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const OUT = path.join(__dirname, '..', 'resources', 'golden');

// A seeded generator (an LCG), so the file is the same on every run.
let state = 20260213;
function rand() {
  state = (state * 1103515245 + 12345) % 2147483648;
  return state / 2147483648;
}
function randomTensor(shape, lo = -2, hi = 2) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = [];
  for (let i = 0; i < n; i++) v.push(Math.round((lo + (hi - lo) * rand()) * 1e4) / 1e4);
  return tf.tensor(v, shape);
}
const T = (t) => ({ shape: t.shape, values: Array.from(t.dataSync()) });

// JSON with one line per array of numbers, so the file reads like a table.
function pretty(v, indent = '') {
  const flat = (x) => x === null || typeof x !== 'object' ||
    (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object'));
  if (flat(v)) return JSON.stringify(v);
  const next = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((e) => next + pretty(e, next)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, e]) => `${next}${JSON.stringify(k)}: ${pretty(e, next)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

const cases = {};

// ------------------------------------------------------------------ BatchNormalization

// Both modes: inference with the loaded moving statistics, then one call in training mode (the
// batch statistics normalize; the moving ones move by momentum), on TF.js's layer. A batch of 2
// per position makes the unbiased variance far from the biased one.
//
// TF.js 4.22's layer gets the OUTPUT wrong when the channel axis is not the last (channels first):
// both its training and its inference outputs differ from its own formula there, while its moving
// statistics are right. So the outputs are computed from TF.js ops by Keras's formula, checked
// against TF.js's layer where the layer is right (channel axis last), and the layer's outputs kept
// for the channels-first case under "tfjs_layer_*" for the record.
function batchNorm(name, shape, axis) {
  const x = randomTensor(shape);
  const c = shape[axis < 0 ? axis + shape.length : axis];
  const gamma = randomTensor([c], 0.5, 1.5);
  const beta = randomTensor([c], -0.5, 0.5);
  const mm = randomTensor([c], -0.5, 0.5);
  const mv = randomTensor([c], 0.5, 2);
  const momentum = 0.8;
  const epsilon = 0.01;
  const layer = tf.layers.batchNormalization({ axis, momentum, epsilon });
  layer.build(shape);
  layer.setWeights([gamma, beta, mm, mv]);
  const layerInference = layer.apply(x, { training: false });
  const layerTraining = layer.apply(x, { training: true });
  const [, , newMean, newVar] = layer.getWeights();

  const a = axis < 0 ? axis + shape.length : axis;
  const red = [...Array(shape.length).keys()].filter((i) => i !== a);
  const n = red.reduce((p, i) => p * shape[i], 1);
  const bshape = shape.map((d, i) => (i === a ? d : 1));
  const r = (t) => t.reshape(bshape);
  const norm = (m, v) => x.sub(r(m)).div(r(v).add(epsilon).sqrt()).mul(r(gamma)).add(r(beta));
  const { mean, variance } = tf.moments(x, red);
  const inference = norm(mm, mv);
  const training = norm(mean, variance);
  const maxDiff = (p, q) => tf.max(tf.abs(p.sub(q))).dataSync()[0];
  const layerRight = maxDiff(inference, layerInference) < 1e-5 && maxDiff(training, layerTraining) < 1e-5;
  if (a === shape.length - 1 && !layerRight) throw new Error(name + ': TF.js layer and formula differ');
  if (maxDiff(newMean, mm.mul(momentum).add(mean.mul(1 - momentum))) > 1e-6 ||
      maxDiff(newVar, mv.mul(momentum).add(variance.mul(1 - momentum))) > 1e-6) {
    throw new Error(name + ': TF.js moving statistics differ from the formula');
  }
  // Near misses: the unbiased variance (Bessel's correction) in the output and the update, and
  // the moving averages with momentum and 1 - momentum swapped.
  const unbiased = variance.mul(n / (n - 1));
  const entry = {
    args: { axis, momentum, epsilon },
    x: T(x),
    weights: [T(gamma), T(beta), T(mm), T(mv)],
    inference: T(inference),
    training: T(training),
    moving_mean: T(newMean),
    moving_variance: T(newVar),
    near_miss_training_unbiased: T(norm(mean, unbiased)),
    near_miss_moving_variance_unbiased: T(mv.mul(momentum).add(unbiased.mul(1 - momentum))),
    near_miss_moving_mean_swapped: T(mm.mul(1 - momentum).add(mean.mul(momentum))),
  };
  if (!layerRight) {
    entry.tfjs_layer_inference = T(layerInference);
    entry.tfjs_layer_training = T(layerTraining);
  }
  cases[name] = entry;
}
batchNorm('BatchNormalization [axis -1]', [2, 2, 2, 3], -1);
batchNorm('BatchNormalization [axis 1, channels first]', [2, 3, 2, 2], 1);

// ------------------------------------------------------------------ LayerNormalization

function layerNorm(name, shape, axis) {
  const x = randomTensor(shape);
  const axes = Array.isArray(axis) ? axis : [axis];
  const pshape = axes.map((a) => shape[a < 0 ? a + shape.length : a]);
  const gamma = randomTensor(pshape, 0.5, 1.5);
  const beta = randomTensor(pshape, -0.5, 0.5);
  const layer = tf.layers.layerNormalization({ axis, epsilon: 0.01 });
  layer.build(shape);
  layer.setWeights([gamma, beta]);
  const out = layer.apply(x);
  // Near miss: normalizing over the last axis only.
  const { mean, variance } = tf.moments(x, [-1], true);
  cases[name] = {
    args: { axis, epsilon: 0.01 },
    x: T(x),
    weights: [T(gamma), T(beta)],
    out: T(out),
    near_miss: T(x.sub(mean).div(variance.add(0.01).sqrt())),
  };
}
layerNorm('LayerNormalization [axis -1]', [2, 3, 4], -1);
layerNorm('LayerNormalization [axes 1, 2]', [2, 3, 4], [1, 2]);
layerNorm('LayerNormalization [axis 1 of rank 3]', [2, 3, 4], 1);

{
  // rms_scaling, after Keras 3: x * rsqrt(var(x) + epsilon) * gamma (the variance, not the mean
  // square, and no centring).
  const x = randomTensor([2, 5], -1, 3);
  const gamma = randomTensor([5], 0.5, 1.5);
  const { variance } = tf.moments(x, [-1], true);
  const out = x.mul(variance.add(0.01).rsqrt()).mul(gamma);
  const meanSquare = x.square().mean(-1, true);
  cases['LayerNormalization [rms_scaling]'] = {
    args: { axis: -1, epsilon: 0.01, rms_scaling: true },
    x: T(x),
    weights: [T(gamma)],
    out: T(out),
    near_miss: T(x.mul(meanSquare.add(0.01).rsqrt()).mul(gamma)),
  };
}

// ------------------------------------------------------------------ GroupNormalization

// After Keras 3's GroupNormalization: channels split into consecutive groups; per example and
// group, moments over the group's channels and every spatial position.
function groupNorm(name, shape, groups, axis) {
  const x = randomTensor(shape);
  const a = axis < 0 ? axis + shape.length : axis;
  const c = shape[a];
  const gamma = randomTensor([c], 0.5, 1.5);
  const beta = randomTensor([c], -0.5, 0.5);
  const grouped = [...shape.slice(0, a), groups, c / groups, ...shape.slice(a + 1)];
  const xg = x.reshape(grouped);
  const red = [...Array(grouped.length).keys()].filter((i) => i !== 0 && i !== a);
  const { mean, variance } = tf.moments(xg, red, true);
  const bshape = grouped.map((d, i) => (i === a || i === a + 1 ? d : 1));
  const out = xg.sub(mean).mul(variance.add(0.001).rsqrt())
    .mul(gamma.reshape(bshape)).add(beta.reshape(bshape)).reshape(shape);
  // Near miss: channels dealt to groups round-robin (channel k in group k mod G).
  const rr = [...shape.slice(0, a), c / groups, groups, ...shape.slice(a + 1)];
  const xr = x.reshape(rr);
  const redR = [...Array(rr.length).keys()].filter((i) => i !== 0 && i !== a + 1);
  const m2 = tf.moments(xr, redR, true);
  const bshapeR = rr.map((d, i) => (i === a || i === a + 1 ? d : 1));
  const nearMiss = xr.sub(m2.mean).mul(m2.variance.add(0.001).rsqrt()).reshape(shape)
    .mul(gamma.reshape(shape.map((d, i) => (i === a ? d : 1))))
    .add(beta.reshape(shape.map((d, i) => (i === a ? d : 1))));
  cases[name] = {
    args: { groups, axis, epsilon: 0.001 },
    x: T(x),
    weights: [T(gamma), T(beta)],
    out: T(out),
    near_miss: T(nearMiss),
  };
}
groupNorm('GroupNormalization [3 groups, axis -1]', [2, 2, 2, 6], 3, -1);
groupNorm('GroupNormalization [2 groups, axis 1]', [2, 4, 3], 2, 1);

// ------------------------------------------------------------------ UnitNormalization, RMSNormalization

{
  const x = randomTensor([2, 3, 4]);
  const inv = x.square().sum([1, 2], true).rsqrt().minimum(1e12);
  cases['UnitNormalization [axes 1, 2]'] = {
    args: { axis: [1, 2] },
    x: T(x),
    weights: [],
    out: T(x.mul(inv)),
    near_miss: T(x.mul(x.square().sum(-1, true).rsqrt())),
  };
}
{
  const x = randomTensor([2, 3, 4], -1, 3);
  const scale = randomTensor([4], 0.5, 1.5);
  const out = x.mul(x.square().mean(-1, true).add(0.01).rsqrt()).mul(scale);
  const { variance } = tf.moments(x, [-1], true);
  cases['RMSNormalization [axis -1]'] = {
    args: { axis: -1, epsilon: 0.01 },
    x: T(x),
    weights: [T(scale)],
    out: T(out),
    near_miss: T(x.mul(variance.add(0.01).rsqrt()).mul(scale)),
  };
}

// ------------------------------------------------------------------ activations

{
  // One slope per channel, shared over rows and columns.
  const x = randomTensor([2, 2, 2, 3]);
  const alpha = randomTensor([1, 1, 3], 0.05, 0.6);
  const layer = tf.layers.prelu({ sharedAxes: [1, 2] });
  layer.build([2, 2, 2, 3]);
  layer.setWeights([alpha]);
  cases['PReLU [shared_axes 1, 2]'] = {
    args: { shared_axes: [1, 2] },
    x: T(x),
    weights: [T(alpha)],
    out: T(layer.apply(x)),
    // Near miss: the slope on the positive side.
    near_miss: T(tf.where(x.less(0), x, x.mul(alpha))),
  };
}
{
  // After Keras 3's relu(x, negative_slope, max_value, threshold): x above the threshold (capped
  // at max_value), negative_slope * (x - threshold) below it.
  const x = tf.tensor([[-3, -1, 0, 0.25, 0.5, 0.75, 1.2, 1.5, 2, 4]]);
  const [slope, maxValue, threshold] = [0.1, 1.5, 0.5];
  const above = x.mul(x.greater(threshold).cast('float32')).clipByValue(0, maxValue);
  const out = above.sub(tf.relu(tf.scalar(threshold).sub(x)).mul(slope));
  const layer = tf.layers.reLU({ maxValue });
  cases['ReLU [max_value, negative_slope, threshold]'] = {
    args: { max_value: maxValue, negative_slope: slope, threshold },
    x: T(x),
    weights: [],
    out: T(out),
    // Near miss: slope * x below the threshold (the slope pivoting at 0).
    near_miss: T(tf.where(x.greater(threshold), x.minimum(maxValue), x.mul(slope))),
    tfjs_max_value_only: T(layer.apply(x)),
  };
}
{
  const x = randomTensor([2, 5]);
  cases['LeakyReLU [default slope]'] = {
    args: {},
    x: T(x),
    weights: [],
    out: T(tf.layers.leakyReLU().apply(x)),
    near_miss: T(tf.where(x.greater(0), x, x.mul(0.2))),
  };
}
{
  // TF.js's ELU layer takes only alpha 1, so the layer gives the alpha-1 values and alpha 0.7
  // scales its negative side.
  const x = randomTensor([2, 5], -3, 2);
  const elu1 = tf.layers.elu().apply(x);
  cases['ELU [alpha 0.7]'] = {
    args: { alpha: 0.7 },
    x: T(x),
    weights: [],
    out: T(tf.where(x.greater(0), x, elu1.mul(0.7))),
    near_miss: T(tf.elu(x)),
  };
}
{
  // TF.js's softmax takes only the last axis: axis 1 moved last and back.
  const x = randomTensor([2, 3, 4]);
  const moved = tf.layers.softmax({ axis: -1 }).apply(x.transpose([0, 2, 1])).transpose([0, 2, 1]);
  cases['Softmax [axis 1]'] = {
    args: { axis: 1 },
    x: T(x),
    weights: [],
    out: T(moved),
    near_miss: T(tf.softmax(x, -1)),
  };
  // Several axes, after Keras 3: exp(x - logsumexp(x, axes)).
  cases['Softmax [axes 1, 2]'] = {
    args: { axis: [1, 2] },
    x: T(x),
    weights: [],
    out: T(tf.exp(x.sub(tf.logSumExp(x, [1, 2], true)))),
    near_miss: T(moved),
  };
}
{
  // After Keras 3's Softmax with a mask: -1e9 added where the mask is 0, then the result times
  // the mask; the second row is fully masked and gives zeros.
  const x = randomTensor([3, 5]);
  const mask = tf.tensor([[1, 0, 1, 1, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]);
  const out = tf.softmax(x.add(tf.scalar(1).sub(mask).mul(-1e9)), -1).mul(mask);
  cases['Softmax [mask]'] = {
    args: { axis: -1 },
    x: T(x),
    mask: T(mask),
    weights: [],
    out: T(out),
    // Near miss: the softmax of every position, then zeroing the masked ones (rows do not sum to 1).
    near_miss: T(tf.softmax(x, -1).mul(mask)),
  };
}

const tfjsVersion = require('@tensorflow/tfjs/package.json').version;
fs.writeFileSync(
  path.join(OUT, 'tfjs-norm.json'),
  pretty({
    note: 'Made by api/src/test/golden/make_golden_norm.js with TF.js ' + tfjsVersion + '; see there.',
    cases,
  }) + '\n');
console.log('wrote', Object.keys(cases).length, 'cases');
