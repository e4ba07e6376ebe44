// Golden forward values for the convolution and pooling layers, computed by TensorFlow.js (CPU): an
// implementation of Keras's maths independent of Kiln. Each case gives a Keras config, random
// weights (in Keras's order and shapes) and a random input, and TF.js's output. Where TF.js has the
// Keras layer (Conv1D, Conv2D, Conv3D, Conv2DTranspose, DepthwiseConv2D,
// SeparableConv2D, the pooling layers) the layer computes the output; where it lacks the layer or
// the argument (causal padding, the 1-D transposes, depthwise and separable convolutions, groups, output_padding,
// 3-D transposes, global 3-D pooling, masks) TF.js's ops do, written out below step by step.
// Run it with TF.js installed outside the repository (no node_modules here):
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden_conv.js
// It writes ../resources/golden/tfjs-conv.json.
//
// The cases are chosen so that plausible wrong implementations give other numbers: even kernels
// with strides > 1 under same padding (TF puts the odd padded position after the data, not
// before), non-square kernels (a transposed kernel fails), dilation, groups, channels_first,
// depth_multiplier > 1 (the order of the output channels), output_padding, and average pooling
// with same padding (padded positions are not counted).
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const OUT = path.join(__dirname, '..', 'resources', 'golden');
const L = tf.layers;

// A small seeded generator (mulberry32), so the file is the same on every run; values have three
// decimals so that both sides read exactly the same float32 numbers.
let seed = 1234567;
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function randomTensor(shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.round((rand() * 2 - 1) * 1000) / 1000;
  return tf.tensor(v, shape);
}

const arr = (t) => Array.from(t.dataSync());

// JSON with one line per array of numbers, so the file reads like a table.
function pretty(v, indent = '') {
  const flat = (x) => x === null || typeof x !== 'object' ||
    (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object'));
  if (flat(v)) return JSON.stringify(v);
  if (!Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  const next = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((e) => next + pretty(e, next)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, e]) => `${next}${JSON.stringify(k)}: ${pretty(e, next)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}
const cases = [];

// Records one case: the Keras config, the weights in Keras's order, the input and TF.js's output.
function record(name, className, config, x, weights, y, extra = {}) {
  cases.push({
    name,
    class_name: className,
    config,
    input_shape: x.shape,
    input: arr(x),
    weights: weights.map((w) => ({shape: w.shape, values: arr(w)})),
    output_shape: y.shape,
    output: arr(y),
    ...extra,
  });
}

// Runs a TF.js layer with the given weights.
function runLayer(layer, x, weights) {
  layer.apply(x);
  if (weights.length) layer.setWeights(weights);
  return layer.apply(x);
}

const nchw = (x) => tf.transpose(x, [0, 3, 1, 2]);
const nhwc = (x) => tf.transpose(x, [0, 2, 3, 1]);

// Keras's deconv_output_length.
function deconvLength(input, kernel, padding, outputPadding, stride, dilation = 1) {
  const k = kernel + (kernel - 1) * (dilation - 1);
  if (outputPadding == null) {
    return padding === 'valid' ? input * stride + Math.max(k - stride, 0) : input * stride;
  }
  const pad = padding === 'same' ? Math.floor(k / 2) : 0;
  return (input - 1) * stride + k - 2 * pad + outputPadding;
}

// ------------------------------------------------------------------ convolutions

function convolutions() {
  {
    const x = randomTensor([2, 7, 3]);
    const k = randomTensor([3, 3, 4]);
    const b = randomTensor([4]);
    const y = runLayer(L.conv1d({filters: 4, kernelSize: 3}), x, [k, b]);
    record('Conv1D valid', 'Conv1D', {filters: 4, kernel_size: 3}, x, [k, b], y);
  }
  {
    // Causal with dilation: the dilated window's whole overhang goes before the sequence.
    const x = randomTensor([2, 6, 2]);
    const k = randomTensor([3, 2, 3]);
    const b = randomTensor([3]);
    // TF.js's layer refuses causal padding, so as Keras documents it: zeros before the sequence,
    // dilation_rate * (kernel_size - 1) = 4 of them, then a valid convolution.
    const y = tf.add(tf.conv1d(tf.pad(x, [[0, 0], [4, 0], [0, 0]]), k, 1, 'valid', 'NWC', 2), b);
    record('Conv1D causal dilated', 'Conv1D',
        {filters: 3, kernel_size: [3], padding: 'causal', dilation_rate: 2}, x, [k, b], y);
  }
  {
    // Even kernel, stride 2, same: 7 steps pad by 3 in total, 1 before and 2 after (TF puts an
    // odd total's extra position after).
    const x = randomTensor([2, 7, 2]);
    const k = randomTensor([4, 2, 3]);
    const b = randomTensor([3]);
    const y = runLayer(
        L.conv1d({filters: 3, kernelSize: 4, strides: 2, padding: 'same'}), x, [k, b]);
    record('Conv1D same even kernel stride 2', 'Conv1D',
        {filters: 3, kernel_size: 4, strides: 2, padding: 'same'}, x, [k, b], y);
  }
  {
    // Non-square even kernel, strides 2 and 3 with same padding: asymmetric on both axes.
    const x = randomTensor([2, 5, 7, 3]);
    const k = randomTensor([2, 3, 3, 4]);
    const b = randomTensor([4]);
    const y = runLayer(
        L.conv2d({filters: 4, kernelSize: [2, 3], strides: [2, 3], padding: 'same'}), x, [k, b]);
    record('Conv2D same strides', 'Conv2D',
        {filters: 4, kernel_size: [2, 3], strides: [2, 3], padding: 'same'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 7, 6, 2]);
    const k = randomTensor([3, 2, 2, 3]);
    const b = randomTensor([3]);
    const y = runLayer(
        L.conv2d({filters: 3, kernelSize: [3, 2], dilationRate: [2, 1]}), x, [k, b]);
    record('Conv2D dilated valid', 'Conv2D',
        {filters: 3, kernel_size: [3, 2], dilation_rate: [2, 1]}, x, [k, b], y);
  }
  {
    // Groups (TF.js lacks them): group j convolves input channels [j*in/g, (j+1)*in/g) with the
    // kernel's filters [j*f/g, (j+1)*f/g), and the outputs are concatenated in group order.
    const g = 2;
    const x = randomTensor([2, 5, 5, 4]);
    const k = randomTensor([3, 3, 2, 6]);
    const b = randomTensor([6]);
    const xs = tf.split(x, g, 3);
    const ks = tf.split(k, g, 3);
    const parts = xs.map((xi, j) => tf.conv2d(xi, ks[j], 1, 'same'));
    const y = tf.add(tf.concat(parts, 3), b);
    record('Conv2D groups 2', 'Conv2D',
        {filters: 6, kernel_size: 3, padding: 'same', groups: 2}, x, [k, b], y);
  }
  {
    // channels_first, with an activation.
    const x = randomTensor([2, 3, 6, 5]);
    const k = randomTensor([3, 2, 3, 4]);
    const b = randomTensor([4]);
    const y = nchw(runLayer(
        L.conv2d({filters: 4, kernelSize: [3, 2], strides: [1, 2], activation: 'relu'}),
        nhwc(x), [k, b]));
    record('Conv2D channels_first relu', 'Conv2D',
        {filters: 4, kernel_size: [3, 2], strides: [1, 2], data_format: 'channels_first',
          activation: 'relu'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 3, 4, 5, 2]);
    const k = randomTensor([2, 2, 3, 2, 3]);
    const b = randomTensor([3]);
    const y = runLayer(
        L.conv3d({filters: 3, kernelSize: [2, 2, 3], strides: [1, 2, 2], padding: 'same'}),
        x, [k, b]);
    record('Conv3D same strides', 'Conv3D',
        {filters: 3, kernel_size: [2, 2, 3], strides: [1, 2, 2], padding: 'same'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 4, 5, 4, 2]);
    const k = randomTensor([3, 2, 2, 2, 2]);
    const y = runLayer(L.conv3d({filters: 2, kernelSize: [3, 2, 2], useBias: false}), x, [k]);
    record('Conv3D valid no bias', 'Conv3D',
        {filters: 2, kernel_size: [3, 2, 2], use_bias: false}, x, [k], y);
  }
}

// ------------------------------------------------------------------ transposed convolutions

function transposes() {
  {
    // Conv1DTranspose (TF.js lacks it): a 2-D transposed convolution over a height of 1.
    const x = randomTensor([2, 5, 3]);
    const k = randomTensor([3, 2, 3]);
    const b = randomTensor([2]);
    const len = deconvLength(5, 3, 'same', null, 2);
    const y2 = tf.conv2dTranspose(
        tf.expandDims(x, 1), tf.expandDims(k, 0), [2, 1, len, 2], [1, 2], 'same');
    const y = tf.add(tf.squeeze(y2, [1]), b);
    record('Conv1DTranspose same stride 2', 'Conv1DTranspose',
        {filters: 2, kernel_size: 3, strides: 2, padding: 'same'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 4, 3, 2]);
    const k = randomTensor([3, 2, 3, 2]);
    const b = randomTensor([3]);
    const y = runLayer(
        L.conv2dTranspose({filters: 3, kernelSize: [3, 2], strides: 2, padding: 'valid'}),
        x, [k, b]);
    record('Conv2DTranspose valid stride 2', 'Conv2DTranspose',
        {filters: 3, kernel_size: [3, 2], strides: 2, padding: 'valid'}, x, [k, b], y);
  }
  {
    // output_padding (TF.js's layer lacks it): Keras's TF backend passes the size it implies as
    // the output shape of the transposed convolution.
    const x = randomTensor([2, 3, 4, 2]);
    const k = randomTensor([3, 4, 2, 2]);
    const b = randomTensor([2]);
    const h = deconvLength(3, 3, 'same', 1, 2);
    const w = deconvLength(4, 4, 'same', 1, 3);
    const y = tf.add(tf.conv2dTranspose(x, k, [2, h, w, 2], [2, 3], 'same'), b);
    record('Conv2DTranspose same output_padding', 'Conv2DTranspose',
        {filters: 2, kernel_size: [3, 4], strides: [2, 3], padding: 'same', output_padding: 1},
        x, [k, b], y);
  }
  {
    // channels_first.
    const x = randomTensor([2, 2, 3, 3]);
    const k = randomTensor([2, 2, 3, 2]);
    const b = randomTensor([3]);
    const y = nchw(runLayer(
        L.conv2dTranspose({filters: 3, kernelSize: 2, strides: 2, padding: 'same'}),
        nhwc(x), [k, b]));
    record('Conv2DTranspose channels_first', 'Conv2DTranspose',
        {filters: 3, kernel_size: 2, strides: 2, padding: 'same',
          data_format: 'channels_first'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 2, 3, 2, 2]);
    const k = randomTensor([2, 3, 2, 2, 2]);
    const b = randomTensor([2]);
    const d = deconvLength(2, 2, 'valid', null, 2);
    const h = deconvLength(3, 3, 'valid', null, 1);
    const w = deconvLength(2, 2, 'valid', null, 2);
    const y = tf.add(tf.conv3dTranspose(x, k, [2, d, h, w, 2], [2, 1, 2], 'valid'), b);
    record('Conv3DTranspose valid', 'Conv3DTranspose',
        {filters: 2, kernel_size: [2, 3, 2], strides: [2, 1, 2]}, x, [k, b], y);
  }
}

// ------------------------------------------------------------------ depthwise and separable

function depthwiseAndSeparable() {
  {
    // 6 rows, window 3, stride 2: one padded row, after the data.
    const x = randomTensor([2, 6, 6, 3]);
    const k = randomTensor([3, 2, 3, 2]);
    const b = randomTensor([6]);
    const y = runLayer(
        L.depthwiseConv2d({kernelSize: [3, 2], depthMultiplier: 2, strides: 2, padding: 'same'}),
        x, [k, b]);
    record('DepthwiseConv2D multiplier 2 same strides', 'DepthwiseConv2D',
        {kernel_size: [3, 2], depth_multiplier: 2, strides: 2, padding: 'same'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 6, 6, 2]);
    const k = randomTensor([2, 3, 2, 3]);
    const b = randomTensor([6]);
    const y = tf.add(tf.depthwiseConv2d(x, k, 1, 'valid', 'NHWC', [2, 1]), b);
    record('DepthwiseConv2D dilated', 'DepthwiseConv2D',
        {kernel_size: [2, 3], depth_multiplier: 3, dilation_rate: [2, 1]}, x, [k, b], y);
  }
  {
    // DepthwiseConv1D (TF.js lacks it): over a height of 1.
    const x = randomTensor([2, 8, 3]);
    const k = randomTensor([3, 3, 2]);
    const b = randomTensor([6]);
    const y2 = tf.depthwiseConv2d(tf.expandDims(x, 1), tf.expandDims(k, 0), [1, 2], 'same');
    const y = tf.add(tf.squeeze(y2, [1]), b);
    record('DepthwiseConv1D multiplier 2 same stride 2', 'DepthwiseConv1D',
        {kernel_size: 3, depth_multiplier: 2, strides: 2, padding: 'same'}, x, [k, b], y);
  }
  {
    const x = randomTensor([2, 6, 6, 3]);
    const dk = randomTensor([3, 3, 3, 2]);
    const pk = randomTensor([1, 1, 6, 4]);
    const b = randomTensor([4]);
    const y = runLayer(
        L.separableConv2d({filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same',
          strides: 2}), x, [dk, pk, b]);
    record('SeparableConv2D multiplier 2 same strides', 'SeparableConv2D',
        {filters: 4, kernel_size: 3, depth_multiplier: 2, padding: 'same', strides: 2},
        x, [dk, pk, b], y);
  }
  {
    const x = randomTensor([2, 3, 6, 5]);
    const dk = randomTensor([2, 3, 3, 1]);
    const pk = randomTensor([1, 1, 3, 2]);
    const b = randomTensor([2]);
    const y = nchw(runLayer(
        L.separableConv2d({filters: 2, kernelSize: [2, 3], dilationRate: 2}),
        nhwc(x), [dk, pk, b]));
    record('SeparableConv2D channels_first dilated', 'SeparableConv2D',
        {filters: 2, kernel_size: [2, 3], dilation_rate: 2, data_format: 'channels_first'},
        x, [dk, pk, b], y);
  }
  {
    // SeparableConv1D (TF.js lacks it): over a height of 1.
    const x = randomTensor([2, 7, 2]);
    const dk = randomTensor([4, 2, 2]);
    const pk = randomTensor([1, 4, 3]);
    const b = randomTensor([3]);
    const y2 = tf.separableConv2d(
        tf.expandDims(x, 1), tf.expandDims(dk, 0), tf.expandDims(pk, 0), [1, 2], 'same');
    const y = tf.add(tf.squeeze(y2, [1]), b);
    record('SeparableConv1D even kernel same stride 2', 'SeparableConv1D',
        {filters: 3, kernel_size: 4, depth_multiplier: 2, strides: 2, padding: 'same'},
        x, [dk, pk, b], y);
  }
}

// ------------------------------------------------------------------ pooling

function pooling() {
  {
    const x = randomTensor([2, 8, 3]);
    const y = runLayer(L.maxPooling1d({poolSize: 3, strides: 2, padding: 'same'}), x, []);
    record('MaxPooling1D same', 'MaxPooling1D',
        {pool_size: 3, strides: 2, padding: 'same'}, x, [], y);
  }
  {
    const x = randomTensor([2, 5, 7, 2]);
    const y = runLayer(L.maxPooling2d({poolSize: 2}), x, []);
    record('MaxPooling2D default strides', 'MaxPooling2D', {pool_size: 2}, x, [], y);
  }
  {
    // Negative inputs only: a maximum that counted zero padding would give 0 at the edges.
    const x = tf.sub(tf.abs(randomTensor([2, 6, 5, 2])), 1.5);
    const y = runLayer(L.maxPooling2d({poolSize: [2, 3], strides: 2, padding: 'same'}), x, []);
    record('MaxPooling2D same negative', 'MaxPooling2D',
        {pool_size: [2, 3], strides: 2, padding: 'same'}, x, [], y);
  }
  {
    const x = randomTensor([2, 3, 4, 5, 2]);
    const y = tf.maxPool3d(x, 2, [1, 2, 2], 'same');
    record('MaxPooling3D same', 'MaxPooling3D',
        {pool_size: 2, strides: [1, 2, 2], padding: 'same'}, x, [], y);
  }
  {
    const x = randomTensor([2, 7, 2]);
    const y = runLayer(L.averagePooling1d({poolSize: 4, strides: 1, padding: 'same'}), x, []);
    record('AveragePooling1D same', 'AveragePooling1D',
        {pool_size: 4, strides: 1, padding: 'same'}, x, [], y);
  }
  {
    // Same padding with windows that overhang: padded positions are not counted in the mean.
    const x = randomTensor([2, 2, 5, 6]);
    const y = nchw(runLayer(
        L.averagePooling2d({poolSize: 3, strides: 2, padding: 'same'}), nhwc(x), []));
    record('AveragePooling2D same channels_first', 'AveragePooling2D',
        {pool_size: 3, strides: 2, padding: 'same', data_format: 'channels_first'}, x, [], y);
  }
  {
    const x = randomTensor([2, 4, 5, 4, 2]);
    const y = tf.avgPool3d(x, [2, 3, 2], [2, 1, 2], 'valid');
    record('AveragePooling3D valid', 'AveragePooling3D',
        {pool_size: [2, 3, 2], strides: [2, 1, 2]}, x, [], y);
  }
  {
    const x = randomTensor([2, 5, 3]);
    record('GlobalMaxPooling1D', 'GlobalMaxPooling1D', {}, x, [],
        runLayer(L.globalMaxPooling1d({}), x, []));
    const x2 = randomTensor([2, 3, 4, 2]);
    record('GlobalMaxPooling2D keepdims', 'GlobalMaxPooling2D', {keepdims: true}, x2, [],
        tf.max(x2, [1, 2], true));
    const x3 = randomTensor([2, 2, 2, 3, 4]);
    record('GlobalMaxPooling3D channels_first', 'GlobalMaxPooling3D',
        {data_format: 'channels_first'}, x3, [], tf.max(x3, [2, 3, 4]));
    const x4 = randomTensor([2, 3, 5]);
    record('GlobalAveragePooling1D channels_first', 'GlobalAveragePooling1D',
        {data_format: 'channels_first'}, x4, [], tf.mean(x4, [2]));
    const x5 = randomTensor([2, 3, 4, 2]);
    record('GlobalAveragePooling2D', 'GlobalAveragePooling2D', {}, x5, [],
        runLayer(L.globalAveragePooling2d({}), x5, []));
    const x6 = randomTensor([2, 2, 3, 2, 3]);
    record('GlobalAveragePooling3D keepdims', 'GlobalAveragePooling3D', {keepdims: true}, x6, [],
        tf.mean(x6, [1, 2, 3], true));
  }
  {
    // A mask from Masking(0): steps whose features are all zero are left out of the mean (the
    // unmasked mean differs); the Java test puts a Masking layer before the pooling.
    const steps = randomTensor([2, 5, 3]);
    const keep = tf.tensor([[1, 0, 1, 1, 0], [0, 1, 1, 1, 1]]);
    const x = tf.mul(steps, tf.expandDims(keep, 2));
    const m = tf.expandDims(tf.cast(tf.any(tf.notEqual(x, 0), 2), 'float32'), 2);
    const y = tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1));
    record('GlobalAveragePooling1D masked', 'GlobalAveragePooling1D', {}, x, [], y,
        {masking_before: true, unmasked_mean: arr(tf.mean(x, 1))});
  }
}

convolutions();
transposes();
depthwiseAndSeparable();
pooling();
fs.mkdirSync(OUT, {recursive: true});
fs.writeFileSync(path.join(OUT, 'tfjs-conv.json'), pretty({
  generated_by: 'api/src/test/golden/make_golden_conv.js',
  tfjs_version: tf.version.tfjs,
  cases,
}) + '\n');
console.log(`${cases.length} cases`);

// ------------------------------------------------------------------ configs

// TF.js's Keras JSON (snake_case) for each layer it has, with non-default arguments, applied in a
// functional model so that the form comes from TF.js's own serialization: LayerConfigGoldenTest
// reads tfjs-layer-configs-conv.json beside tfjs-layer-configs.json.
function layerConfigs() {
  const cases = {
    Conv1D: [L.conv1d({filters: 3, kernelSize: 2, strides: 2, padding: 'same', activation: 'relu',
      kernelRegularizer: tf.regularizers.l2({l2: 0.01}), name: 'golden_conv1d'}), [8, 2]],
    Conv2D: [L.conv2d({filters: 4, kernelSize: [3, 2], dilationRate: 2, useBias: false,
      dataFormat: 'channelsFirst', name: 'golden_conv2d'}), [2, 8, 8]],
    Conv3D: [L.conv3d({filters: 2, kernelSize: 2, strides: [1, 2, 2], padding: 'same',
      name: 'golden_conv3d'}), [4, 4, 4, 1]],
    Conv2DTranspose: [L.conv2dTranspose({filters: 3, kernelSize: 3, strides: 2, padding: 'same',
      name: 'golden_conv2d_transpose'}), [4, 4, 2]],
    Conv3DTranspose: [L.conv3dTranspose({filters: 2, kernelSize: 2, strides: 2,
      name: 'golden_conv3d_transpose'}), [2, 2, 2, 1]],
    DepthwiseConv2D: [L.depthwiseConv2d({kernelSize: 3, depthMultiplier: 2, padding: 'same',
      name: 'golden_depthwise_conv2d'}), [5, 5, 3]],
    SeparableConv2D: [L.separableConv2d({filters: 4, kernelSize: 3, depthMultiplier: 2,
      strides: 2, name: 'golden_separable_conv2d'}), [7, 7, 3]],
    MaxPooling1D: [L.maxPooling1d({poolSize: 3, strides: 2, padding: 'same',
      name: 'golden_max_pooling1d'}), [8, 2]],
    MaxPooling2D: [L.maxPooling2d({poolSize: [2, 3], name: 'golden_max_pooling2d'}), [6, 6, 2]],
    MaxPooling3D: [L.maxPooling3d({poolSize: 2, strides: 1, padding: 'same',
      name: 'golden_max_pooling3d'}), [4, 4, 4, 1]],
    AveragePooling1D: [L.averagePooling1d({poolSize: 2, name: 'golden_average_pooling1d'}), [8, 2]],
    AveragePooling2D: [L.averagePooling2d({poolSize: 3, strides: 2, padding: 'same',
      dataFormat: 'channelsFirst', name: 'golden_average_pooling2d'}), [2, 6, 6]],
    AveragePooling3D: [L.averagePooling3d({poolSize: [2, 2, 1], name: 'golden_average_pooling3d'}),
      [4, 4, 4, 1]],
    GlobalMaxPooling1D: [L.globalMaxPooling1d({name: 'golden_global_max_pooling1d'}), [5, 3]],
    GlobalMaxPooling2D: [L.globalMaxPooling2d({dataFormat: 'channelsFirst',
      name: 'golden_global_max_pooling2d'}), [3, 4, 4]],
    GlobalAveragePooling1D: [L.globalAveragePooling1d({name: 'golden_global_average_pooling1d'}),
      [5, 3]],
    GlobalAveragePooling2D: [L.globalAveragePooling2d({name: 'golden_global_average_pooling2d'}),
      [4, 4, 3]],
  };
  const out = {};
  for (const [cls, [layer, shape]] of Object.entries(cases)) {
    const input = tf.input({shape});
    const json = tf.model({inputs: input, outputs: layer.apply(input)}).toJSON(null, false);
    const entry = json.config.layers.find((l) => l.config.name === layer.name);
    if (entry.class_name !== cls) throw new Error(`${cls}: TF.js wrote ${entry.class_name}`);
    out[cls] = entry.config;
  }
  return out;
}

fs.writeFileSync(path.join(OUT, 'tfjs-layer-configs-conv.json'), pretty({
  generated_by: 'api/src/test/golden/make_golden_conv.js',
  tfjs_version: tf.version.tfjs,
  note: 'Keras JSON configs (snake_case) as TF.js serializes them: Keras-2-era keys.',
  layers: layerConfigs(),
}) + '\n');
