package dev.kiln.api.saving;

import static dev.kiln.api.saving.FilesTestSupport.assertHas;
import static dev.kiln.api.saving.FilesTestSupport.assertMatchesH5py;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.convolutional.Conv1D;
import dev.kiln.api.layers.convolutional.SeparableConv2D;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.normalization.BatchNormalization;
import dev.kiln.api.layers.rnn.Bidirectional;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Sequential;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keras 2's HDF5 weights (the {@code model_weights} of full-model files): matched by layer name or
 * by order, values checked against h5py's reading of the same files.
 */
class Keras2H5Test {
  private static final String BN = "keras2-hdf5/dl4j_tfkeras_batchNormError.h5";
  private static final String LSTM_FN = "keras2-hdf5/dl4j_examples_lstm_functional_tf_keras_2.h5";
  private static final String BIDI = "keras2-hdf5/dl4j_weights_bidirectional_lstm_tensorflow_2.h5";
  private static final String SEP = "keras2-hdf5/dl4j_weights_sepconv2d_tensorflow_2.h5";

  private static Model convBn(String conv, String bn) {
    KerasTensor in = Input.of(6, 25);
    Layer c = new Conv1D(10, 2);
    Layer b = new BatchNormalization();
    if (conv != null) {
      c.name(conv);
      b.name(bn);
    }
    return Model.of(in, b.apply(c.apply(in)));
  }

  @Test
  void layersMatchByNameWhenTheNamesAreTheFiles(@TempDir Path dir) throws Exception {
    Path file = FilesTestSupport.sample(dir, BN);
    Model m = convBn("conv1d", "batch_normalization");
    m.loadWeights(file);
    String p = "model_weights/";
    List<Tensor> conv = m.getLayer("conv1d").getWeights();
    assertMatchesH5py(BN, p + "conv1d/conv1d/kernel:0", conv.get(0));
    assertMatchesH5py(BN, p + "conv1d/conv1d/bias:0", conv.get(1));
    List<Tensor> bn = m.getLayer("batch_normalization").getWeights();
    assertMatchesH5py(BN, p + "batch_normalization/batch_normalization/gamma:0", bn.get(0));
    assertMatchesH5py(BN, p + "batch_normalization/batch_normalization/beta:0", bn.get(1));
    assertMatchesH5py(BN, p + "batch_normalization/batch_normalization/moving_mean:0", bn.get(2));
    assertMatchesH5py(
        BN, p + "batch_normalization/batch_normalization/moving_variance:0", bn.get(3));
  }

  @Test
  void layersMatchByOrderWhenTheNamesDiffer(@TempDir Path dir) throws Exception {
    Path file = FilesTestSupport.sample(dir, BN);
    Model byName = convBn("conv1d", "batch_normalization");
    byName.loadWeights(file);
    Model byOrder = convBn(null, null);
    byOrder.loadWeights(file);
    assertEquals(byName.getWeights(), byOrder.getWeights());
  }

  @Test
  void recurrentAndSeparableSamplesLoad(@TempDir Path dir) throws Exception {
    Path lstmFile = FilesTestSupport.sample(dir, LSTM_FN);
    KerasTensor in = Input.of(3, 4);
    Model lstm = Model.of(in, new Dense(5).apply(new LSTM(8).apply(in)));
    lstm.loadWeights(lstmFile);
    assertMatchesH5py(
        LSTM_FN,
        "model_weights/lstm/lstm/recurrent_kernel:0",
        lstm.getLayer(1).getWeights().get(1));
    assertMatchesH5py(
        LSTM_FN,
        "model_weights/outputLayer_a/outputLayer_a/kernel:0",
        lstm.getLayer(2).getWeights().get(0));

    Path bidiFile = FilesTestSupport.sample(dir, BIDI);
    Sequential bidi = new Sequential(Input.of(3, 10), new Bidirectional(new LSTM(10)));
    bidi.loadWeights(bidiFile);
    List<Tensor> w = bidi.layers().get(0).getWeights();
    String g = "model_weights/bidirectional_1/bidirectional_1/";
    assertMatchesH5py(BIDI, g + "forward_lstm_1/kernel:0", w.get(0));
    assertMatchesH5py(BIDI, g + "backward_lstm_1/bias:0", w.get(5));

    Path sepFile = FilesTestSupport.sample(dir, SEP);
    Sequential sep =
        new Sequential(Input.of(7, 7, 5), new SeparableConv2D(6, 3, 3).depthMultiplier(2));
    sep.loadWeights(sepFile);
    String s = "model_weights/separable_conv2d_1/separable_conv2d_1/";
    List<Tensor> sw = sep.layers().get(0).getWeights();
    assertMatchesH5py(SEP, s + "depthwise_kernel:0", sw.get(0));
    assertMatchesH5py(SEP, s + "pointwise_kernel:0", sw.get(1));
    assertMatchesH5py(SEP, s + "bias:0", sw.get(2));
  }

  @Test
  void aMismatchNamesBothLayersAndShapes(@TempDir Path dir) throws Exception {
    Path file = FilesTestSupport.sample(dir, LSTM_FN);
    KerasTensor in = Input.of(3, 4);
    Model m = Model.of(in, new Dense(5).apply(new LSTM(7).apply(in)));
    List<Tensor> before = m.getWeights();
    KilnException e = assertThrows(KilnException.class, () -> m.loadWeights(file));
    assertHas(e.getMessage(), "variable 'kernel'", "(4, 28)", "(4, 32)", "'lstm'");
    assertEquals(before, m.getWeights());
    Sequential fewer = new Sequential(Input.of(3, 4), new LSTM(8));
    assertHas(
        assertThrows(KilnException.class, () -> fewer.loadWeights(file)).getMessage(),
        "holds weights for 2 layers",
        "has 1 layers with weights");
  }

  @Test
  void aFullModelFileBuildsFromItsModelConfig(@TempDir Path dir) throws Exception {
    Path file = FilesTestSupport.sample(dir, BN);
    Model m = ModelFiles.load(file);
    assertMatchesH5py(
        BN, "model_weights/conv1d/conv1d/kernel:0", m.getLayer("conv1d").getWeights().get(0));
    Path weightsOnly = dir.resolve("w.weights.h5");
    convBn(null, null).saveWeights(weightsOnly);
    assertHas(
        assertThrows(KilnException.class, () -> ModelFiles.load(weightsOnly)).getMessage(),
        "no 'model_config'",
        "loadWeights");
  }
}
