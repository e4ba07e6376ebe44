package dev.kiln.benchmarks;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The DL4J peer: the same two models as MultiLayerNetworks, trained the same way. */
final class Dl4jWorker {
  private Dl4jWorker() {}

  static MultiLayerConfiguration mlp() {
    return new NeuralNetConfiguration.Builder()
        .seed(42)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-3))
        .weightInit(WeightInit.XAVIER_UNIFORM)
        .list()
        .layer(new DenseLayer.Builder().nIn(784).nOut(512).activation(Activation.RELU).build())
        .layer(new DenseLayer.Builder().nOut(256).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.feedForward(784))
        .build();
  }

  static MultiLayerConfiguration lenet() {
    return new NeuralNetConfiguration.Builder()
        .seed(42)
        .dataType(DataType.FLOAT)
        .updater(new Adam(1e-3))
        .weightInit(WeightInit.XAVIER_UNIFORM)
        .list()
        .layer(new ConvolutionLayer.Builder(5, 5).nIn(1).nOut(20).stride(1, 1).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new ConvolutionLayer.Builder(5, 5).nOut(50).stride(1, 1).activation(Activation.RELU).build())
        .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
        .layer(new DenseLayer.Builder().nOut(500).activation(Activation.RELU).build())
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(10).activation(Activation.SOFTMAX).build())
        .setInputType(InputType.convolutionalFlat(28, 28, 1))
        .build();
  }

  static Result train(String model, Mnist data) {
    int batch = model.equals("mlp") ? 128 : 64;
    MultiLayerNetwork net = new MultiLayerNetwork(model.equals("mlp") ? mlp() : lenet());
    net.init();
    int steps = data.count() / batch;
    float[] x = new float[batch * Mnist.PIXELS];
    float[] y = new float[batch * 10];
    long start = 0;
    for (int s = 0; s < steps; s++) {
      if (s == 1) {
        start = System.nanoTime();
      }
      data.batch(s * batch, batch, x);
      java.util.Arrays.fill(y, 0);
      for (int i = 0; i < batch; i++) {
        y[i * 10 + data.labels()[s * batch + i]] = 1;
      }
      INDArray features = Nd4j.create(x, new long[] {batch, Mnist.PIXELS});
      INDArray labels = Nd4j.create(y, new long[] {batch, 10});
      net.fit(new DataSet(features, labels));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String settings =
        "DL4J 1.0.0-M2.1, nd4j-native linux-x86_64, OMP_NUM_THREADS="
            + System.getenv("OMP_NUM_THREADS")
            + ", OPENBLAS_CORETYPE="
            + System.getenv("OPENBLAS_CORETYPE");
    return new Result("dl4j", model, (steps - 1) * (double) batch / seconds, Result.processPeakRssMb(), net.score(), settings);
  }
}
