package dev.kiln.api.activations;

import dev.kiln.api.KilnException;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Keras's activations by name, with Keras's default arguments: {@code relu}, {@code relu6}, {@code
 * leaky_relu} (slope 0.2), {@code elu} (alpha 1), {@code selu}, {@code gelu} (exact), {@code silu}
 * (also {@code swish}), {@code sigmoid}, {@code hard_sigmoid} ({@code relu6(x + 3) / 6}), {@code
 * tanh}, {@code softmax} and {@code log_softmax} (last axis), {@code softplus}, {@code softsign},
 * {@code mish}, {@code exponential}, {@code linear}.
 *
 * {@snippet :
 * ActivationFunction a = Activations.get("gelu");
 * }
 */
public final class Activations {
  private Activations() {}

  // SELU's constants, from Klambauer et al. (2017).
  private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
  private static final double SELU_SCALE = 1.0507009873554804934193349852946;

  private static final Map<String, BiFunction<Ops, Value, Value>> FNS = new LinkedHashMap<>();

  static {
    FNS.put("linear", (o, x) -> x);
    FNS.put("relu", Ops::relu);
    FNS.put("relu6", (o, x) -> o.minimum(o.relu(x), 6));
    FNS.put("leaky_relu", (o, x) -> leakyRelu(o, x, 0.2));
    FNS.put("elu", (o, x) -> elu(o, x, 1));
    FNS.put("selu", (o, x) -> o.mul(elu(o, x, SELU_ALPHA), SELU_SCALE));
    FNS.put("gelu", (o, x) -> o.gelu(x, false));
    FNS.put("silu", (o, x) -> o.silu(x));
    FNS.put("swish", (o, x) -> o.silu(x));
    FNS.put("sigmoid", Ops::sigmoid);
    FNS.put("hard_sigmoid", (o, x) -> o.div(o.minimum(o.relu(o.add(x, 3)), 6), 6));
    FNS.put("hard_silu", (o, x) -> o.mul(x, o.div(o.minimum(o.relu(o.add(x, 3)), 6), 6)));
    FNS.put("tanh", Ops::tanh);
    FNS.put("softmax", (o, x) -> o.softmax(x, -1));
    FNS.put("log_softmax", (o, x) -> o.logSoftmax(x, -1));
    FNS.put("softplus", Ops::softplus);
    FNS.put("softsign", (o, x) -> o.div(x, o.add(o.abs(x), 1)));
    FNS.put("mish", (o, x) -> o.mul(x, o.tanh(o.softplus(x))));
    FNS.put("exponential", Ops::exp);
  }

  /**
   * Every activation, registered under its Keras name ({@code hard_silu} also as {@code
   * hard_swish}). Users add their own with {@code Registry.register(KerasClass.of(Kind.ACTIVATION,
   * "my_fn", ActivationFunction.class, args -> fn))}.
   */
  public static final List<KerasClass<ActivationFunction>> KERAS = declarations();

  private static List<KerasClass<ActivationFunction>> declarations() {
    List<KerasClass<ActivationFunction>> out = new ArrayList<>();
    for (Map.Entry<String, BiFunction<Ops, Value, Value>> e : FNS.entrySet()) {
      ActivationFunction f = new Named(e.getKey(), e.getValue());
      KerasClass<ActivationFunction> d =
          KerasClass.of(Kind.ACTIVATION, e.getKey(), ActivationFunction.class, args -> f);
      out.add(e.getKey().equals("hard_silu") ? d.aliases("hard_swish") : d);
    }
    return List.copyOf(out);
  }

  private record Named(String name, BiFunction<Ops, Value, Value> fn)
      implements ActivationFunction {
    @Override
    public Value apply(Ops ops, Value x) {
      return fn.apply(ops, x);
    }
  }

  /**
   * The activation of this Keras name; null gives {@code linear}, the identity.
   *
   * @throws KilnException for an unknown name, naming the nearest known ones
   */
  public static ActivationFunction get(String name) {
    return Registry.get(Kind.ACTIVATION, name == null ? "linear" : name);
  }

  /**
   * The activation a config names: a name, Keras's {@code {"class_name": "function", "config":
   * name}}, or an activation (returned as it is); null gives {@code linear}.
   *
   * @throws KilnException for anything else
   */
  public static ActivationFunction deserialize(Object spec) {
    return spec == null ? get(null) : Registry.deserialize(Kind.ACTIVATION, spec);
  }

  /** The config form of an activation: its name. */
  public static String serialize(ActivationFunction f) {
    return f == null ? null : f.name();
  }

  /** {@code x} where positive, else {@code slope * x}. */
  public static Value leakyRelu(Ops o, Value x, double slope) {
    return o.where(o.greater(x, 0), x, o.mul(x, slope));
  }

  /** {@code x} where positive, else {@code alpha * (e^x - 1)}. */
  public static Value elu(Ops o, Value x, double alpha) {
    return o.where(o.greater(x, 0), x, o.mul(o.expm1(o.minimum(x, 0)), alpha));
  }
}
