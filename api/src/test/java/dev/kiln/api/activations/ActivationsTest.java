package dev.kiln.api.activations;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Activation;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** Each activation against its formula, evaluated here in double precision. */
class ActivationsTest {
  private static final float[] X = {-3f, -1f, -0.25f, 0f, 0.5f, 2f, 7f};

  private static double[] apply(String name) {
    ActivationFunction f = Activations.get(name);
    return ApiTestSupport.run(
            (o, in) -> List.of(f.apply(o, in.get(0))),
            List.of(HostTensor.of(Shape.of(1, X.length), X)))
        .get(0)
        .toDoubleArray();
  }

  private static void check(String name, DoubleUnaryOperator f) {
    double[] expected = new double[X.length];
    for (int i = 0; i < X.length; i++) {
      expected[i] = f.applyAsDouble(X[i]);
    }
    assertClose(name, expected, apply(name), 2e-6);
  }

  private static double softplus(double x) {
    return Math.log1p(Math.exp(x));
  }

  @Test
  void elementwise() {
    check("linear", x -> x);
    check("relu", x -> Math.max(x, 0));
    check("relu6", x -> Math.min(Math.max(x, 0), 6));
    check("leaky_relu", x -> x > 0 ? x : 0.2 * x);
    check("elu", x -> x > 0 ? x : Math.expm1(x));
    double a = 1.6732632423543772;
    double s = 1.0507009873554805;
    check("selu", x -> s * (x > 0 ? x : a * Math.expm1(x)));
    check("gelu", x -> 0.5 * x * (1 + dev.kiln.spi.math.SpecialFunctions.erf(x / Math.sqrt(2))));
    check("silu", x -> x / (1 + Math.exp(-x)));
    check("swish", x -> x / (1 + Math.exp(-x)));
    check("sigmoid", x -> 1 / (1 + Math.exp(-x)));
    check("hard_sigmoid", x -> Math.min(Math.max(x + 3, 0), 6) / 6);
    check("tanh", Math::tanh);
    check("softplus", ActivationsTest::softplus);
    check("softsign", x -> x / (1 + Math.abs(x)));
    check("mish", x -> x * Math.tanh(softplus(x)));
    check("exponential", Math::exp);
  }

  @Test
  void softmaxFamily() {
    double max = 7;
    double sum = 0;
    for (float x : X) {
      sum += Math.exp(x - max);
    }
    double[] sm = new double[X.length];
    double[] lsm = new double[X.length];
    for (int i = 0; i < X.length; i++) {
      sm[i] = Math.exp(X[i] - max) / sum;
      lsm[i] = X[i] - max - Math.log(sum);
    }
    assertClose("softmax", sm, apply("softmax"), 1e-6);
    assertClose("log_softmax", lsm, apply("log_softmax"), 1e-6);
  }

  @Test
  void unknownName() {
    assertThrows(KilnException.class, () -> Activations.get("rellu"));
  }

  /**
   * Every activation maps NaN to NaN, as Keras's: a relu written as {@code x > 0 ? x : 0} would
   * turn NaN into 0 and hide a diverged model from TerminateOnNaN.
   */
  @Test
  void nanPropagatesThroughEveryActivation() {
    float[] x = {-2f, Float.NaN, 0f, 3f, Float.NaN, -7f};
    for (KerasClass<ActivationFunction> k : Activations.KERAS) {
      Sequential m = new Sequential(Input.of(x.length), new Activation(k.className()));
      float[] y = m.predict(Tensor.of(x, 1, x.length)).toFloatArray();
      assertTrue(Float.isNaN(y[1]) && Float.isNaN(y[4]), k.className() + " gave " + y[1]);
    }
  }

  @Test
  void nanInputReachesTheOutputOfADenseReluModel() {
    Sequential m = new Sequential(Input.of(3), new Dense(4, "relu"), new Dense(2, "relu6"));
    float[] y = m.predict(Tensor.of(new float[] {1f, Float.NaN, -1f}, 1, 3)).toFloatArray();
    assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]), java.util.Arrays.toString(y));
  }
}
