package dev.kiln.benchmarks;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The benchmark models. As hand-written IR train steps (forward, loss, autodiff and Adam in one
 * graph): the MNIST MLP 784-512-256-10 and LeNet (conv 20 5x5, max pool, conv 50 5x5, max pool,
 * dense 500, dense 10), ReLU activations, softmax cross-entropy, Adam(1e-3). Through the
 * Keras-style api only: the small ResNet ({@link #resnetApi}) and the LSTM ({@link #lstmApi}),
 * whose PyTorch twins are in {@code src/main/python/torch_peer.py}.
 */
final class KilnModels {
  private KilnModels() {}

  private record Param(String id, Value value) {}

  private static final class Builder {
    final GraphBuilder b = new GraphBuilder();
    final List<Param> params = new ArrayList<>();
    final Backend backend;
    final SplittableRandom rnd = new SplittableRandom(42);

    Builder(Backend backend) {
      this.backend = backend;
    }

    Value param(String id, int fanIn, int fanOut, int... dims) {
      HostTensor init = HostTensor.zeros(DType.FLOAT32, Shape.of(dims));
      if (fanIn > 0) {
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < init.size(); i++) {
          init.setDouble(i, (2 * rnd.nextDouble() - 1) * limit);
        }
      }
      backend.createVariable(id, init);
      Value v = b.variable(id, init.type());
      params.add(new Param(id, v));
      return v;
    }

    Value dense(String name, Value x, int units, boolean relu) {
      int in = x.shape().dim(-1);
      Value w = param(name + "/kernel", in, units, in, units);
      Value bias = param(name + "/bias", 0, 0, units);
      Value y = b.add(b.matmul(x, w), bias);
      return relu ? b.relu(y) : y;
    }

    Value conv(String name, Value x, int filters, int size) {
      int cin = x.shape().dim(-1);
      Value k =
          param(
              name + "/kernel", size * size * cin, size * size * filters, size, size, cin, filters);
      Value bias = param(name + "/bias", 0, 0, filters);
      return b.relu(b.add(b.conv(x, k, ConvSpec.simple(2, Padding.VALID)), bias));
    }

    Value pool(Value x) {
      return b.pool(PoolFn.MAX, x, new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID));
    }

    Graph trainStep(Value logits, Value labels) {
      Value onehot = b.oneHot(labels, logits.shape().dim(-1), DType.FLOAT32);
      Value loss = b.reduceMean(b.softmaxCrossEntropy(logits, onehot, -1), new int[] {0}, false);
      List<Value> values = params.stream().map(Param::value).toList();
      List<Value> grads = Autodiff.gradients(b, loss, values);
      adam(grads);
      return b.output(loss).build();
    }

    /** Adam as Keras computes it: bias correction folded into the learning rate. */
    void adam(List<Value> grads) {
      double lr = 1e-3;
      double beta1 = 0.9;
      double beta2 = 0.999;
      backend.createVariable("adam/iterations", HostTensor.scalar(0));
      Value t =
          b.add(
              b.variable("adam/iterations", TensorType.of(DType.FLOAT32)),
              b.scalar(1, DType.FLOAT32));
      b.update("adam/iterations", t);
      Value one = b.scalar(1, DType.FLOAT32);
      Value lrT =
          b.div(
              b.mul(
                  b.scalar(lr, DType.FLOAT32),
                  b.sqrt(b.sub(one, b.pow(b.scalar(beta2, DType.FLOAT32), t)))),
              b.sub(one, b.pow(b.scalar(beta1, DType.FLOAT32), t)));
      for (int i = 0; i < params.size(); i++) {
        Param p = params.get(i);
        Value g = grads.get(i);
        backend.createVariable(p.id + "/m", HostTensor.zeros(DType.FLOAT32, p.value.shape()));
        backend.createVariable(p.id + "/v", HostTensor.zeros(DType.FLOAT32, p.value.shape()));
        Value m = b.variable(p.id + "/m", p.value.type());
        Value v = b.variable(p.id + "/v", p.value.type());
        List<Value> r = b.adamUpdate(p.value, g, m, v, lrT, beta1, beta2, 1e-7);
        b.update(p.id + "/m", r.get(1)).update(p.id + "/v", r.get(2)).update(p.id, r.get(0));
      }
    }
  }

  /**
   * The MLP train step for batches of {@code batch}; inputs (x [batch, 784], labels int32 [batch]).
   */
  static Graph mlp(Backend backend, int batch) {
    Builder m = new Builder(backend);
    Value x = m.b.input(TensorType.of(DType.FLOAT32, batch, Mnist.PIXELS));
    Value y = m.b.input(TensorType.of(DType.INT32, batch));
    Value h = m.dense("dense", x, 512, true);
    h = m.dense("dense_1", h, 256, true);
    return m.trainStep(m.dense("dense_2", h, 10, false), y);
  }

  /** The LeNet train step; inputs (x [batch, 28, 28, 1], labels int32 [batch]). */
  static Graph lenet(Backend backend, int batch) {
    Builder m = new Builder(backend);
    Value x = m.b.input(TensorType.of(DType.FLOAT32, batch, 28, 28, 1));
    Value y = m.b.input(TensorType.of(DType.INT32, batch));
    Value h = m.pool(m.conv("conv2d", x, 20, 5));
    h = m.pool(m.conv("conv2d_1", h, 50, 5));
    h = m.b.reshape(h, Shape.of(batch, 4 * 4 * 50));
    h = m.dense("dense", h, 500, true);
    return m.trainStep(m.dense("dense_1", h, 10, false), y);
  }

  /** A small inference graph (784-64-10 softmax) for the time to first prediction. */
  static Graph smallPredict(Backend backend) {
    Builder m = new Builder(backend);
    Value x = m.b.input(TensorType.of(DType.FLOAT32, 1, Mnist.PIXELS));
    Value h = m.dense("small", x, 64, true);
    return m.b.output(m.b.softmax(m.dense("small_1", h, 10, false), -1)).build();
  }

  /** Time steps of the LSTM benchmark's sequences. */
  static final int LSTM_STEPS = 100;

  /** Features per time step of the LSTM benchmark. */
  static final int LSTM_FEATURES = 32;

  /** Units of the LSTM benchmark's one layer. */
  static final int LSTM_UNITS = 128;

  /**
   * The small ResNet of the benchmark, as a Functional model on 28x28x1 images: a 3x3 16-filter
   * stem with BatchNormalization and ReLU, then one residual block at each of 16, 32 and 64 filters
   * (28, 14 and 7 pixels; conv-BN-ReLU-conv-BN plus the shortcut, which is a strided 1x1 conv with
   * BN where the shape changes; Add; ReLU), GlobalAveragePooling2D and Dense(10, softmax). The
   * convolutions carry no bias, as BN follows each one.
   */
  static dev.kiln.api.models.Model resnetApi() {
    dev.kiln.api.KerasTensor in = dev.kiln.api.layers.core.Input.of(28, 28, 1);
    dev.kiln.api.KerasTensor h = convBn(in, 16, 3, 1);
    h = relu(h);
    h = residualBlock(h, 16, 1);
    h = residualBlock(h, 32, 2);
    h = residualBlock(h, 64, 2);
    h = new dev.kiln.api.layers.pooling.GlobalAveragePooling2D().apply(h);
    h = new dev.kiln.api.layers.core.Dense(10, "softmax").apply(h);
    return dev.kiln.api.models.Model.of(in, h);
  }

  private static dev.kiln.api.KerasTensor residualBlock(
      dev.kiln.api.KerasTensor x, int filters, int stride) {
    dev.kiln.api.KerasTensor h = relu(convBn(x, filters, 3, stride));
    h = convBn(h, filters, 3, 1);
    dev.kiln.api.KerasTensor shortcut =
        stride == 1 && x.shape().dim(-1) == filters ? x : convBn(x, filters, 1, stride);
    return relu(new dev.kiln.api.layers.merging.Add().apply(h, shortcut));
  }

  private static dev.kiln.api.KerasTensor convBn(
      dev.kiln.api.KerasTensor x, int filters, int size, int stride) {
    dev.kiln.api.KerasTensor h =
        new dev.kiln.api.layers.convolutional.Conv2D(filters, size, size)
            .strides(stride, stride)
            .padding("same")
            .useBias(false)
            .apply(x);
    return new dev.kiln.api.layers.normalization.BatchNormalization().apply(h);
  }

  private static dev.kiln.api.KerasTensor relu(dev.kiln.api.KerasTensor x) {
    return new dev.kiln.api.layers.core.Activation("relu").apply(x);
  }

  /**
   * The LSTM benchmark: sequences of {@link #LSTM_STEPS} steps of {@link #LSTM_FEATURES} features
   * into one LSTM of {@link #LSTM_UNITS} units (Keras defaults: tanh, sigmoid gates, last output
   * only), then Dense(10) logits.
   */
  static dev.kiln.api.models.Sequential lstmApi() {
    return new dev.kiln.api.models.Sequential(
        dev.kiln.api.layers.core.Input.of(LSTM_STEPS, LSTM_FEATURES),
        new dev.kiln.api.layers.rnn.LSTM(LSTM_UNITS),
        new dev.kiln.api.layers.core.Dense(10));
  }
}
