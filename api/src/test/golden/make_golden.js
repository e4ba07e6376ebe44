// Golden values for the weighted means, confusion-matrix metrics, loss weights and layer configs,
// computed by TensorFlow.js (CPU): an implementation of the Keras maths independent of Kiln. Where
// TF.js has no such function (weighted precision, F1, AUC, loss weights) the value is computed here
// from TF.js ops or plain loops, written out step by step. Run it with TF.js installed outside the
// repository (no node_modules here):
//   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm install @tensorflow/tfjs@4)
//   NODE_PATH=/tmp/tfjs/node_modules node api/src/test/golden/make_golden.js
// It writes ../resources/golden/tfjs-weighted.json and ../resources/golden/tfjs-layer-configs.json.
//
// Every case also records the "near miss" values (the result of a plausible wrong formula) so the
// tests can check that their data tells the right formula from the wrong one.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const OUT = path.join(__dirname, '..', 'resources', 'golden');
const R = tf.Reduction;

const num = (t) => t.dataSync()[0];
const arr = (t) => Array.from(t.dataSync());
const nested = (t) => t.arraySync();
const sumOf = (xs) => xs.reduce((a, b) => a + b, 0);

// JSON with one line per array of numbers (or of such arrays), so the files read like tables.
function pretty(v, indent = '') {
  const flat = (x) => x === null || typeof x !== 'object' ||
    (Array.isArray(x) && x.every((e) => e === null || typeof e !== 'object' || flat(e)));
  if (flat(v)) return JSON.stringify(v);
  if (!Array.isArray(v) && Object.keys(v).length === 0) return '{}';
  const next = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((e) => next + pretty(e, next)).join(',\n')}\n${indent}]`;
  const body = Object.entries(v).map(([k, e]) => `${next}${JSON.stringify(k)}: ${pretty(e, next)}`);
  return `{\n${body.join(',\n')}\n${indent}}`;
}

// ------------------------------------------------------------------ (a) loss reductions

function lossReductions() {
  // 6 samples, 3 values each. The weights sum to 6.75, not 6, so "divide by the weight sum" and
  // "divide by the batch size" differ; one weight is 0.
  const yTrue = tf.tensor2d([
    [0.0, 1.0, 2.0], [1.0, -1.0, 0.5], [2.0, 0.0, 0.0],
    [-1.0, 2.0, 1.0], [0.5, 0.5, 0.5], [3.0, -2.0, 1.0]]);
  const yPred = tf.tensor2d([
    [0.5, 1.5, 1.0], [0.0, 0.0, 0.0], [2.5, 1.0, -1.0],
    [-0.5, 1.0, 3.0], [1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]);
  const sw = tf.tensor1d([0.5, 2.0, 0.0, 1.0, 3.0, 0.25]);
  const mask = tf.tensor1d([1, 1, 0, 1, 0, 1]);
  const n = 6;
  const perSample = tf.metrics.meanSquaredError(yTrue, yPred);
  const masked = tf.mul(sw, mask);
  const weightedSum = num(tf.losses.computeWeightedLoss(perSample, sw, R.SUM));
  return {
    loss: 'mean_squared_error',
    y_true: nested(yTrue),
    y_pred: nested(yPred),
    sample_weight: arr(sw),
    mask: arr(mask),
    per_sample: arr(perSample),
    // Keras: sum(w * l) / number of values.
    sum_over_batch_size: weightedSum / n,
    sum: weightedSum,
    // Keras: sum(w * l) / sum(w) (TF.js's MEAN with weights is exactly that).
    mean_with_sample_weight: num(tf.losses.computeWeightedLoss(perSample, sw, R.MEAN)),
    none: arr(tf.losses.computeWeightedLoss(perSample, sw, R.NONE)),
    unweighted_sum_over_batch_size: num(tf.losses.computeWeightedLoss(perSample, null, R.MEAN)),
    // With a mask, Keras averages over the unmasked values only: sum(w * m * l) / sum(m).
    masked_sum_over_batch_size:
      num(tf.losses.computeWeightedLoss(perSample, masked, R.SUM)) / num(tf.sum(mask)),
    // ... and mean_with_sample_weight takes the mask as more weight: sum(w m l) / sum(w m).
    masked_mean_with_sample_weight: num(tf.losses.computeWeightedLoss(perSample, masked, R.MEAN)),
    near_miss: {
      mean_with_sample_weight_as_plain_mean: weightedSum / n,
      sum_over_batch_size_divided_by_weight_sum: weightedSum / num(tf.sum(sw)),
      sum_over_batch_size_ignoring_weights: num(tf.mean(perSample)),
      masked_divided_by_batch_size: num(tf.losses.computeWeightedLoss(perSample, masked, R.SUM)) / n,
    },
  };
}

// ------------------------------------------------------------------ (a) weighted mean metrics

function meanMetrics() {
  // Two batches (4 then 3 rows); weights sum to 7.5 over 7 rows.
  const b1 = {
    y_true: [[0.0, 1.0], [1.0, 1.0], [2.0, -1.0], [0.0, 0.0]],
    y_pred: [[0.5, 0.0], [1.0, 3.0], [0.0, -1.0], [1.0, 1.0]],
    sample_weight: [1.0, 0.5, 3.0, 0.0],
  };
  const b2 = {
    y_true: [[1.0, 0.0], [-1.0, 2.0], [0.5, 0.5]],
    y_pred: [[1.0, 1.0], [0.0, 0.0], [0.5, 2.5]],
    sample_weight: [2.0, 0.25, 0.75],
  };
  const batches = [b1, b2];
  // Weighted mean of per-sample values, over both batches at once: sum(w x) / sum(w).
  function weighted(fn) {
    const vals = [];
    const ws = [];
    for (const b of batches) {
      vals.push(...arr(fn(tf.tensor2d(b.y_true), tf.tensor2d(b.y_pred))));
      ws.push(...b.sample_weight);
    }
    const v = tf.tensor1d(vals);
    const w = tf.tensor1d(ws);
    return {
      per_sample: vals,
      weighted: num(tf.div(tf.sum(tf.mul(v, w)), tf.sum(w))),
      plain: num(tf.mean(v)),
      // The near miss that counts rows instead of weights while still weighting the sum.
      weighted_sum_over_rows: num(tf.div(tf.sum(tf.mul(v, w)), tf.scalar(vals.length))),
    };
  }
  const mse = weighted(tf.metrics.meanSquaredError);
  const mae = weighted(tf.metrics.meanAbsoluteError);
  // Mean of whatever is passed as predictions: the first column of y_pred, one value per row.
  const mean = weighted((t, p) => tf.squeeze(tf.slice(p, [0, 0], [-1, 1]), [1]));
  return {
    batches,
    mean_of_first_prediction_column: mean,
    mean_squared_error: mse,
    mean_absolute_error: mae,
    // RMSE is the square root of the weighted mean squared error.
    root_mean_squared_error: {
      weighted: Math.sqrt(mse.weighted),
      plain: Math.sqrt(mse.plain),
      weighted_sum_over_rows: Math.sqrt(mse.weighted_sum_over_rows),
    },
  };
}

// ------------------------------------------------------------------ (b) confusion matrix metrics

function confusion() {
  // Threshold 0.5. Unweighted: tp 3 (rows 0, 1, 2), fp 1 (row 3), fn 2 (rows 4, 5), tn 4.
  const yTrue = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0];
  const yPred = [0.9, 0.7, 0.55, 0.8, 0.3, 0.1, 0.2, 0.45, 0.05, 0.35];
  const sw = [1.0, 2.0, 0.5, 3.0, 1.5, 0.25, 1.0, 2.0, 0.5, 1.0];
  const t = tf.tensor2d(yTrue, [10, 1]);
  const p = tf.tensor2d(yPred, [10, 1]);
  const w = tf.tensor2d(sw, [10, 1]);
  const pos = tf.cast(tf.greater(p, 0.5), 'float32');
  // TF.js's precision and recall count predictions equal to 1, so they get thresholded ones.
  const tfjsPrecision = num(tf.metrics.precision(t, pos));
  const tfjsRecall = num(tf.metrics.recall(t, pos));
  const count = (weights) => {
    const tp = num(tf.sum(tf.mul(weights, tf.mul(pos, t))));
    const fp = num(tf.sum(tf.mul(weights, tf.mul(pos, tf.sub(1, t)))));
    const fn = num(tf.sum(tf.mul(weights, tf.mul(tf.sub(1, pos), t))));
    return {
      tp, fp, fn,
      precision: tp / (tp + fp),
      recall: tp / (tp + fn),
      near_miss: {precision_over_tp_fn: tp / (tp + fn), recall_over_tp_fp: tp / (tp + fp)},
    };
  };
  return {
    threshold: 0.5,
    y_true: yTrue,
    y_pred: yPred,
    sample_weight: sw,
    tfjs_precision: tfjsPrecision,
    tfjs_recall: tfjsRecall,
    unweighted: count(tf.onesLike(t)),
    weighted: count(w),
  };
}

function f1Scores() {
  // 8 rows, 3 classes; the prediction is the arg max (Keras's F1Score with threshold=None).
  const ids = [0, 0, 0, 1, 1, 2, 2, 2];
  const yPred = [
    [0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1],
    [0.5, 0.4, 0.1], [0.2, 0.2, 0.6], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4]];
  const sw = [1.0, 0.5, 2.0, 1.5, 3.0, 0.25, 1.0, 2.0];
  const k = 3;
  const t = tf.oneHot(tf.tensor1d(ids, 'int32'), k).toFloat();
  const pred = tf.oneHot(tf.argMax(tf.tensor2d(yPred), -1), k).toFloat();
  const scores = (weights) => {
    const w = tf.reshape(weights, [-1, 1]);
    const tp = arr(tf.sum(tf.mul(w, tf.mul(pred, t)), 0));
    const fp = arr(tf.sum(tf.mul(w, tf.mul(pred, tf.sub(1, t))), 0));
    const fn = arr(tf.sum(tf.mul(w, tf.mul(tf.sub(1, pred), t)), 0));
    // F1 = 2 tp / (2 tp + fp + fn), the harmonic mean of precision and recall.
    const f1 = tp.map((x, i) => (2 * x) / (2 * x + fp[i] + fn[i]));
    const support = tp.map((x, i) => x + fn[i]);
    const micro = (2 * sumOf(tp)) / (2 * sumOf(tp) + sumOf(fp) + sumOf(fn));
    // Near miss: precision computed as tp / (tp + fn), i.e. equal to recall, so F1 = recall.
    const recall = tp.map((x, i) => x / (x + fn[i]));
    return {
      tp, fp, fn,
      per_class: f1,
      macro: sumOf(f1) / k,
      weighted: sumOf(f1.map((x, i) => x * support[i])) / sumOf(support),
      micro,
      near_miss: {
        macro_with_precision_over_tp_fn: sumOf(recall) / k,
        weighted_as_plain_mean: sumOf(f1) / k,
      },
    };
  };
  return {
    y_true_ids: ids,
    y_pred: yPred,
    sample_weight: sw,
    unweighted: scores(tf.ones([8])),
    weighted: scores(tf.tensor1d(sw)),
  };
}

function auc() {
  // Distinct scores more than 1/199 apart, so the 200-threshold ROC curve is exact and equals the
  // (weighted) probability that a positive scores above a negative.
  const yTrue = [1, 0, 1, 1, 0, 0, 1, 0];
  const yPred = [0.9, 0.8, 0.7, 0.4, 0.35, 0.2, 0.15, 0.05];
  const sw = [1.0, 2.0, 0.5, 3.0, 1.0, 0.25, 1.5, 2.0];
  const pairs = (w) => {
    let num_ = 0;
    let den = 0;
    for (let i = 0; i < yTrue.length; i++) {
      for (let j = 0; j < yTrue.length; j++) {
        if (yTrue[i] === 1 && yTrue[j] === 0) {
          den += w[i] * w[j];
          if (yPred[i] > yPred[j]) num_ += w[i] * w[j];
        }
      }
    }
    return num_ / den;
  };
  return {
    y_true: yTrue,
    y_pred: yPred,
    sample_weight: sw,
    unweighted: pairs(yTrue.map(() => 1)),
    weighted: pairs(sw),
  };
}

function r2Score() {
  // R^2 with sample weights: the mean, the total and the residual sums of squares are all weighted.
  const yTrue = [1.0, 2.0, -1.0, 0.5, 3.0, 0.0];
  const yPred = [1.5, 1.0, -0.5, 0.0, 2.0, 1.0];
  const sw = [1.0, 3.0, 0.5, 2.0, 0.25, 1.0];
  const r2 = (w) => {
    const sw_ = sumOf(w);
    const mean = sumOf(yTrue.map((y, i) => w[i] * y)) / sw_;
    const ssTot = sumOf(yTrue.map((y, i) => w[i] * (y - mean) * (y - mean)));
    const ssRes = sumOf(yTrue.map((y, i) => w[i] * (y - yPred[i]) * (y - yPred[i])));
    return 1 - ssRes / ssTot;
  };
  // Near miss: weighted sums but the mean taken over rows instead of over the weights.
  const rowsMean = sumOf(yTrue.map((y, i) => sw[i] * y)) / yTrue.length;
  const ssTotRows = sumOf(yTrue.map((y, i) => sw[i] * y * y)) - yTrue.length * rowsMean * rowsMean;
  const ssRes = sumOf(yTrue.map((y, i) => sw[i] * (y - yPred[i]) * (y - yPred[i])));
  return {
    y_true: yTrue,
    y_pred: yPred,
    sample_weight: sw,
    tfjs_unweighted: num(tf.metrics.r2Score(tf.tensor1d(yTrue), tf.tensor1d(yPred))),
    unweighted: r2(yTrue.map(() => 1)),
    weighted: r2(sw),
    near_miss: {count_rows_not_weights: 1 - ssRes / ssTotRows},
  };
}

// ------------------------------------------------------------------ (a) the epoch loss over batches

async function epochLoss() {
  // 10 rows in batches of 4, 4 and 2: the last batch must count half as much as the others.
  const x = [
    [1.0, 0.0, 2.0], [0.5, -1.0, 1.0], [-1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [2.0, 2.0, -1.0],
    [1.5, -0.5, 0.5], [-2.0, 0.0, 1.0], [0.25, 0.75, -0.5], [3.0, 1.0, 2.0], [-1.5, -2.5, 3.0]];
  const y = [[1.0], [0.0], [2.0], [-1.0], [0.5], [1.0], [-2.0], [0.0], [6.0], [-4.0]];
  const kernel = [[0.5], [-0.25], [1.0]];
  const sw = [1.0, 0.5, 2.0, 0.0, 1.0, 3.0, 0.25, 1.0, 2.0, 0.5];
  const batch = 4;
  const model = tf.sequential({
    layers: [tf.layers.dense({units: 1, useBias: false, inputShape: [3]})],
  });
  model.setWeights([tf.tensor2d(kernel)]);
  model.compile({optimizer: tf.train.sgd(0), loss: 'meanSquaredError'});
  const xs = tf.tensor2d(x);
  const ys = tf.tensor2d(y);
  // TF.js's evaluate and fit weight each batch's loss by its size, as Keras does.
  const evaluated = num(model.evaluate(xs, ys, {batchSize: batch}));
  const h = await model.fit(xs, ys, {batchSize: batch, epochs: 1, shuffle: false, verbose: 0});
  const perSample = arr(tf.metrics.meanSquaredError(ys, model.predict(xs)));
  const batchMeans = [];
  const weightedBatchMeans = [];
  for (let s = 0; s < x.length; s += batch) {
    const e = Math.min(s + batch, x.length);
    let plain = 0;
    let weighted = 0;
    for (let i = s; i < e; i++) {
      plain += perSample[i];
      weighted += sw[i] * perSample[i];
    }
    batchMeans.push(plain / (e - s));
    // Each batch's sum_over_batch_size loss with sample weights: sum(w l) / rows.
    weightedBatchMeans.push(weighted / (e - s));
  }
  const weightedLoss = sumOf(perSample.map((l, i) => l * sw[i])) / x.length;
  return {
    x, y, kernel, sample_weight: sw, batch_size: batch,
    per_sample: perSample,
    evaluate_loss: evaluated,
    fit_loss: h.history.loss[0],
    // With sample weights: each batch gives sum(w l) / rows, weighted by rows: sum(w l) / N.
    weighted_loss: weightedLoss,
    near_miss: {
      unweighted_mean_of_batches: sumOf(batchMeans) / batchMeans.length,
      weighted_unweighted_mean_of_batches: sumOf(weightedBatchMeans) / weightedBatchMeans.length,
    },
  };
}

// ------------------------------------------------------------------ (c) loss weights

function twoOutputs() {
  // x -> h = x Wh (2 units) -> o1 = h W1 (1 unit, mse) and o2 = h W2 (2 units, mae).
  const x = [[1.0, 0.5, -1.0], [0.0, 2.0, 1.0], [-1.5, 1.0, 0.5], [2.0, -1.0, 0.0], [0.5, 0.5, 2.0]];
  const y1 = [[1.0], [-2.0], [0.5], [3.0], [0.0]];
  const y2 = [[0.0, 1.0], [1.0, -1.0], [2.0, 0.0], [-1.0, 0.5], [0.5, 2.0]];
  const wh = [[0.5, -0.25], [0.75, 1.0], [-0.5, 0.25]];
  const w1 = [[1.5], [-0.5]];
  const w2 = [[0.25, -1.0], [0.5, 0.75]];
  const lossWeights = [0.3, 2.0];
  const lr = 0.1;
  const xs = tf.tensor2d(x);
  const outputLosses = (h, a, b) => {
    const hid = tf.matMul(xs, h);
    const l1 = tf.mean(tf.metrics.meanSquaredError(tf.tensor2d(y1), tf.matMul(hid, a)));
    const l2 = tf.mean(tf.metrics.meanAbsoluteError(tf.tensor2d(y2), tf.matMul(hid, b)));
    return [l1, l2];
  };
  const step = (weights) => {
    const vh = tf.variable(tf.tensor2d(wh));
    const v1 = tf.variable(tf.tensor2d(w1));
    const v2 = tf.variable(tf.tensor2d(w2));
    const {value, grads} = tf.variableGrads(() => {
      const [l1, l2] = outputLosses(vh, v1, v2);
      return tf.add(tf.mul(weights[0], l1), tf.mul(weights[1], l2));
    }, [vh, v1, v2]);
    const upd = (v) => nested(tf.sub(v, tf.mul(lr, grads[v.name])));
    return {total: num(value), h: upd(vh), o1: upd(v1), o2: upd(v2)};
  };
  const [l1, l2] = outputLosses(tf.tensor2d(wh), tf.tensor2d(w1), tf.tensor2d(w2)).map(num);
  const weighted = step(lossWeights);
  const ignored = step([1, 1]);
  return {
    x, y1, y2,
    kernels: {h: wh, o1: w1, o2: w2},
    losses: ['mean_squared_error', 'mean_absolute_error'],
    loss_weights: lossWeights,
    learning_rate: lr,
    output_losses: [l1, l2],
    total_loss: lossWeights[0] * l1 + lossWeights[1] * l2,
    after_one_sgd_step: {h: weighted.h, o1: weighted.o1, o2: weighted.o2},
    near_miss: {
      total_ignoring_weights: l1 + l2,
      total_weights_swapped: lossWeights[1] * l1 + lossWeights[0] * l2,
      after_one_sgd_step_ignoring_weights: {h: ignored.h, o1: ignored.o1, o2: ignored.o2},
    },
  };
}

// ------------------------------------------------------------------ (d) layer configs

function layerConfigs() {
  const L = tf.layers;
  // Each layer with non-default arguments where TF.js has them, applied in a functional model so
  // that the Keras JSON (snake_case) form comes from TF.js's own serialization.
  const cases = {
    Dense: [L.dense({
      units: 4, activation: 'relu', useBias: false, kernelInitializer: 'glorotUniform',
      kernelRegularizer: tf.regularizers.l2({l2: 0.01}),
      kernelConstraint: tf.constraints.maxNorm({maxValue: 2, axis: 0}),
      name: 'golden_dense'}), [[3]]],
    Activation: [L.activation({activation: 'tanh', name: 'golden_activation'}), [[3]]],
    Dropout: [L.dropout({rate: 0.25, name: 'golden_dropout'}), [[3]]],
    // mask_zero given explicitly: TF.js writes null for it when left out.
    Embedding: [L.embedding({inputDim: 10, outputDim: 4, maskZero: true, name: 'golden_embedding'}),
      [[5]]],
    Masking: [L.masking({maskValue: 0.5, name: 'golden_masking'}), [[4, 3]]],
    Flatten: [L.flatten({name: 'golden_flatten'}), [[2, 3]]],
    Reshape: [L.reshape({targetShape: [3, 2], name: 'golden_reshape'}), [[6]]],
    Permute: [L.permute({dims: [2, 1], name: 'golden_permute'}), [[2, 3]]],
    RepeatVector: [L.repeatVector({n: 4, name: 'golden_repeat_vector'}), [[3]]],
    Concatenate: [L.concatenate({axis: 1, name: 'golden_concatenate'}), [[3], [2]]],
    Dot: [L.dot({axes: [1, 1], normalize: true, name: 'golden_dot'}), [[3], [3]]],
    Add: [L.add({name: 'golden_add'}), [[3], [3]]],
    Multiply: [L.multiply({name: 'golden_multiply'}), [[3], [3]]],
    Average: [L.average({name: 'golden_average'}), [[3], [3]]],
    Maximum: [L.maximum({name: 'golden_maximum'}), [[3], [3]]],
    Minimum: [L.minimum({name: 'golden_minimum'}), [[3], [3]]],
    Rescaling: [L.rescaling({scale: 0.5, offset: 1, name: 'golden_rescaling'}), [[3]]],
    // Normalization, regularization and activation layers (make_golden_norm.js has their values).
    BatchNormalization: [L.batchNormalization({axis: 1, momentum: 0.9, epsilon: 0.01, center: false,
      name: 'golden_batch_normalization'}), [[3, 2]]],
    LayerNormalization: [L.layerNormalization({axis: [1, 2], epsilon: 0.01,
      name: 'golden_layer_normalization'}), [[2, 3]]],
    ReLU: [L.reLU({maxValue: 6, name: 'golden_re_lu'}), [[3]]],
    LeakyReLU: [L.leakyReLU({alpha: 0.1, name: 'golden_leaky_re_lu'}), [[3]]],
    PReLU: [L.prelu({sharedAxes: [1], name: 'golden_p_re_lu'}), [[2, 3]]],
    ELU: [L.elu({alpha: 1, name: 'golden_elu'}), [[3]]],
    Softmax: [L.softmax({axis: -1, name: 'golden_softmax'}), [[3]]],
    SpatialDropout1D: [L.spatialDropout1d({rate: 0.25, name: 'golden_spatial_dropout1d'}), [[4, 3]]],
    GaussianNoise: [L.gaussianNoise({stddev: 0.5, name: 'golden_gaussian_noise'}), [[3]]],
    GaussianDropout: [L.gaussianDropout({rate: 0.25, name: 'golden_gaussian_dropout'}), [[3]]],
    AlphaDropout: [L.alphaDropout({rate: 0.25, name: 'golden_alpha_dropout'}), [[3]]],
    // Recurrent layers: recurrent_activation and unit_forget_bias given, since TF.js's defaults
    // (hard_sigmoid) are Keras 2's and it writes null for an unset unit_forget_bias.
    SimpleRNN: [L.simpleRNN({units: 3, returnSequences: true, name: 'golden_simple_rnn'}), [[4, 2]]],
    LSTM: [L.lstm({units: 3, recurrentActivation: 'sigmoid', unitForgetBias: true,
      goBackwards: true, recurrentDropout: 0.25, name: 'golden_lstm'}), [[4, 2]]],
    GRU: [L.gru({units: 3, recurrentActivation: 'sigmoid', dropout: 0.25, returnState: true,
      name: 'golden_gru'}), [[4, 2]]],
    RNN: [L.rnn({cell: L.lstmCell({units: 3, recurrentActivation: 'sigmoid', unitForgetBias: true,
      name: 'golden_lstm_cell'}), returnSequences: true, name: 'golden_rnn'}), [[4, 2]]],
    Bidirectional: [L.bidirectional({layer: L.lstm({units: 3, recurrentActivation: 'sigmoid',
      unitForgetBias: true, returnSequences: true, name: 'golden_inner_lstm'}), mergeMode: 'sum',
    name: 'golden_bidirectional'}), [[4, 2]]],
    TimeDistributed: [L.timeDistributed({layer: L.dense({units: 2, name: 'golden_inner_dense'}),
      name: 'golden_time_distributed'}), [[4, 2]]],
    ConvLSTM2D: [L.convLstm2d({filters: 2, kernelSize: 3, padding: 'same',
      recurrentActivation: 'sigmoid', unitForgetBias: true, returnSequences: true,
      name: 'golden_conv_lstm2d'}), [[3, 5, 5, 2]]],
  };
  const out = {};
  for (const [cls, [layer, shapes]] of Object.entries(cases)) {
    const ins = shapes.map((s) => tf.input({shape: s, dtype: cls === 'Embedding' ? 'int32' : 'float32'}));
    const y = layer.apply(ins.length === 1 ? ins[0] : ins);
    const json = tf.model({inputs: ins, outputs: y}).toJSON(null, false);
    const entry = json.config.layers.find((l) => l.config.name === layer.name);
    if (entry.class_name !== cls) throw new Error(`${cls}: TF.js wrote ${entry.class_name}`);
    out[cls] = entry.config;
  }
  // Cells exist only inside an RNN: their configs are the RNN's "cell".
  const cells = {
    SimpleRNNCell: L.simpleRNNCell({units: 3, name: 'golden_simple_rnn_cell'}),
    LSTMCell: L.lstmCell({units: 3, recurrentActivation: 'sigmoid', unitForgetBias: true,
      name: 'golden_lstm_cell_alone'}),
    GRUCell: L.gruCell({units: 3, recurrentActivation: 'sigmoid', name: 'golden_gru_cell'}),
    StackedRNNCells: [L.simpleRNNCell({units: 3, name: 'golden_stacked_a'}),
      L.gruCell({units: 2, recurrentActivation: 'sigmoid', name: 'golden_stacked_b'})],
  };
  for (const [cls, cell] of Object.entries(cells)) {
    const input = tf.input({shape: [4, 2]});
    const rnn = L.rnn({cell});
    const json = tf.model({inputs: input, outputs: rnn.apply(input)}).toJSON(null, false);
    const entry = json.config.layers.find((l) => l.config.name === rnn.name).config.cell;
    if (entry.class_name !== cls) throw new Error(`${cls}: TF.js wrote ${entry.class_name}`);
    out[cls] = entry.config;
  }
  // TF.js writes Keras 2's activity_regularizer and implementation in every recurrent config, which
  // Keras 3 no longer writes in a cell or a nested layer; the tests drop them at the top level, and
  // they are dropped here in nested configs, where the comparison has no such list.
  const keras2Only = (c) => {
    delete c.activity_regularizer;
    delete c.implementation;
    if (c.cells) c.cells.forEach((x) => keras2Only(x.config));
  };
  keras2Only(out.RNN.cell.config);
  keras2Only(out.Bidirectional.layer.config);
  ['SimpleRNNCell', 'LSTMCell', 'GRUCell', 'StackedRNNCells'].forEach((c) => keras2Only(out[c]));
  // Sequential with an input shape on its first layer: TF.js writes batch_input_shape (a key Keras
  // 3 no longer writes) and dtype.
  const seq = tf.sequential({layers: [L.dense({units: 2, inputShape: [3], name: 'golden_dense_first'})]});
  out.DenseWithInputShape = seq.toJSON(null, false).config.layers[0].config;
  return out;
}

(async () => {
  const weighted = {
    generated_by: 'api/src/test/golden/make_golden.js',
    tfjs_version: tf.version.tfjs,
    loss_reductions: lossReductions(),
    mean_metrics: meanMetrics(),
    confusion: confusion(),
    f1_score: f1Scores(),
    auc_roc: auc(),
    r2_score: r2Score(),
    epoch_loss: await epochLoss(),
    two_outputs: twoOutputs(),
  };
  const configs = {
    generated_by: 'api/src/test/golden/make_golden.js',
    tfjs_version: tf.version.tfjs,
    note: 'Keras JSON configs (snake_case) as TF.js serializes them: Keras-2-era keys.',
    layers: layerConfigs(),
  };
  fs.mkdirSync(OUT, {recursive: true});
  fs.writeFileSync(path.join(OUT, 'tfjs-weighted.json'), pretty(weighted) + '\n');
  fs.writeFileSync(path.join(OUT, 'tfjs-layer-configs.json'), pretty(configs) + '\n');
})();
