package dev.kiln.api.layers.core;

import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.activations.Activations;
import dev.kiln.api.layers.LayerArgs;
import dev.kiln.api.layers.ProjectionLayer;
import dev.kiln.api.layers.Weight;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.Args;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A dense layer whose product with the kernel is an einsum, {@code activation(einsum(equation, x,
 * kernel) + bias)}: the projections of the attention layers. The equation has the input first and
 * the kernel second, in one of Keras's three forms: letters only ({@code "abc,cde->abde"}), with
 * the leading axes elided ({@code "...b,bc->...c"}) or with the trailing axes elided ({@code
 * "ab...,bc->ac..."}). {@code output_shape} is the output without the batch axis (and without the
 * elided axes); an unknown size (null, {@code -1}) is taken from the input. {@code bias_axes} names
 * the output letters the bias spans.
 *
 * {@snippet :
 * // (batch, steps, 16) -> (batch, steps, 4 heads, 8)
 * Layer q = new EinsumDense("abc,cde->abde", -1, 4, 8).biasAxes("de");
 * }
 */
public class EinsumDense extends ProjectionLayer<EinsumDense> {
  private static final Pattern PLAIN = Pattern.compile("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)");
  private static final Pattern LEFT =
      Pattern.compile("\\.\\.\\.([a-zA-Z]+),([a-zA-Z]+)->\\.\\.\\.([a-zA-Z]+)");
  private static final Pattern RIGHT =
      Pattern.compile("([a-zA-Z]{2,})\\.\\.\\.,([a-zA-Z]+)->([a-zA-Z]{2,})\\.\\.\\.");

  /** The einsum of the input and the kernel. */
  public static final Arg<String> EQUATION =
      Arg.string("equation", null)
          .required()
          .checked(
              "an equation \"ab,bc->ac\", \"...b,bc->...c\" or \"ab...,bc->ac...\"",
              e -> form(e.replace(" ", "")) != null);

  /** The output shape without the batch axis; -1 (null in a config) for a size of the input. */
  public static final Arg<int[]> OUTPUT_SHAPE =
      Arg.<int[]>of(
              "output_shape",
              "an integer or a list of integers and nulls",
              null,
              EinsumDense::readShape,
              EinsumDense::writeShape)
          .required()
          .checked("sizes > 0 or null", v -> Arrays.stream(v).allMatch(d -> d > 0 || d == -1))
          .schema(
              java.util.Map.of(
                  "type",
                  java.util.List.of("integer", "array"),
                  "items",
                  java.util.Map.of("type", java.util.List.of("integer", "null"))));

  /** The activation (default linear). */
  public static final Arg<ActivationFunction> ACTIVATION =
      LayerArgs.activation("activation", "linear");

  /** The output letters the bias spans; null for no bias. */
  public static final Arg<String> BIAS_AXES = Arg.string("bias_axes", null).nullable();

  /** EinsumDense's declaration. */
  public static final KerasClass<EinsumDense> KERAS =
      KerasClass.of(
              Kind.LAYER,
              "EinsumDense",
              EinsumDense.class,
              a -> new EinsumDense(a.get(EQUATION), a.get(OUTPUT_SHAPE)),
              EQUATION,
              OUTPUT_SHAPE,
              ACTIVATION,
              BIAS_AXES,
              KERNEL_INITIALIZER,
              BIAS_INITIALIZER,
              KERNEL_REGULARIZER,
              BIAS_REGULARIZER,
              ACTIVITY_REGULARIZER,
              KERNEL_CONSTRAINT,
              BIAS_CONSTRAINT,
              LayerArgs.QUANTIZATION_CONFIG)
          .tolerating("lora_rank", "lora_alpha", "gptq_unpacked_column_size");

  private Weight kernel;
  private Weight bias;
  private String expanded;

  /**
   * A layer computing {@code equation} into {@code outputShape} (without the batch axis; -1 takes
   * the size from the input).
   *
   * @throws IllegalArgumentException if the equation has none of Keras's forms
   */
  public EinsumDense(String equation, int... outputShape) {
    args().set(EQUATION, equation);
    args().set(OUTPUT_SHAPE, outputShape.clone());
  }

  /** The output letters the bias spans ({@code "de"}); null (default) for no bias. */
  public EinsumDense biasAxes(String axes) {
    args().set(BIAS_AXES, axes);
    return this;
  }

  /** Sets the activation by Keras name. */
  public EinsumDense activation(String name) {
    args().set(ACTIVATION, name == null ? null : Activations.get(name));
    return this;
  }

  /** The kernel; null before build. */
  public Weight kernel() {
    return kernel;
  }

  /** The bias; null before build or without bias. */
  public Weight bias() {
    return bias;
  }

  private static Matcher form(String equation) {
    for (Pattern p : new Pattern[] {PLAIN, LEFT, RIGHT}) {
      Matcher m = p.matcher(equation);
      if (m.matches()) {
        return m;
      }
    }
    return null;
  }

  private static int[] readShape(Object v) {
    if (v instanceof Number n && !(v instanceof Boolean)) {
      return new int[] {n.intValue()};
    }
    if (v instanceof int[] a) {
      return a.clone();
    }
    if (!(v instanceof List<?> list)) {
      return null;
    }
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      Object e = list.get(i);
      if (e == null) {
        out[i] = -1;
      } else if (e instanceof Number n
          && !(e instanceof Boolean)
          && n.doubleValue() == n.intValue()) {
        out[i] = n.intValue();
      } else {
        return null;
      }
    }
    return out;
  }

  private static Object writeShape(int[] v) {
    List<Object> out = new ArrayList<>();
    for (int d : v) {
      out.add(d == -1 ? null : d);
    }
    return out;
  }

  private String what() {
    return "EinsumDense \"" + name() + "\" (equation \"" + args().get(EQUATION) + "\")";
  }

  @Override
  protected void build(List<Shape> inputShapes) {
    int[] in = inputShapes.get(0).dims();
    String equation = args().get(EQUATION).replace(" ", "");
    Matcher m = form(equation);
    boolean left = m.pattern() == LEFT;
    String inSpec = m.group(1);
    String wSpec = m.group(2);
    String outSpec = m.group(3);
    int elided = in.length - inSpec.length();
    if (elided < 0 || (m.pattern() == PLAIN && elided != 0)) {
      throw new IllegalArgumentException(
          what()
              + ": the input spec \""
              + inSpec
              + "\" does not fit an input of shape "
              + inputShapes.get(0));
    }
    // Keras's full output shape: the batch axis, the given sizes, and the elided axes where the
    // equation elides them.
    int[] partial = args().get(OUTPUT_SHAPE);
    List<Integer> outShape = new ArrayList<>();
    if (left) {
      for (int i = 0; i < elided; i++) {
        outShape.add(in[i]);
      }
    } else {
      outShape.add(in[0]);
    }
    for (int d : partial) {
      outShape.add(d);
    }
    if (!left) {
      for (int i = in.length - elided; i < in.length; i++) {
        outShape.add(in[i]);
      }
    }
    int outOffset = left ? outShape.size() - outSpec.length() : 0;
    int inOffset = left ? elided : 0;
    if (outOffset < 0 || outShape.size() - outOffset < outSpec.length()) {
      throw new IllegalArgumentException(
          what()
              + ": output_shape "
              + writeShape(partial)
              + " does not fit the output spec \""
              + outSpec
              + "\"");
    }
    int[] kernelShape = new int[wSpec.length()];
    for (int i = 0; i < wSpec.length(); i++) {
      char ch = wSpec.charAt(i);
      int d;
      if (inSpec.indexOf(ch) >= 0) {
        d = in[inOffset + inSpec.indexOf(ch)];
      } else if (outSpec.indexOf(ch) >= 0) {
        d = outShape.get(outOffset + outSpec.indexOf(ch));
      } else {
        throw new IllegalArgumentException(
            what() + ": kernel letter '" + ch + "' is neither in the input nor in the output");
      }
      if (d < 0) {
        throw new IllegalArgumentException(
            what()
                + ": the size of kernel axis '"
                + ch
                + "' is unknown (input "
                + inputShapes.get(0)
                + ")");
      }
      kernelShape[i] = d;
    }
    Args a = args();
    kernel = addKernel("kernel", kernelShape);
    String biasAxes = a.get(BIAS_AXES);
    if (biasAxes != null && !biasAxes.isEmpty()) {
      int first = outSpec.length();
      for (char ch : biasAxes.toCharArray()) {
        if (outSpec.indexOf(ch) < 0) {
          throw new IllegalArgumentException(
              what() + ": bias axis '" + ch + "' is not in the output spec \"" + outSpec + "\"");
        }
        first = Math.min(first, outSpec.indexOf(ch));
      }
      List<Integer> biasShape = new ArrayList<>();
      for (int i = first; i < outSpec.length(); i++) {
        char ch = outSpec.charAt(i);
        int d = outShape.get(outOffset + i);
        if (biasAxes.indexOf(ch) >= 0 && d < 0) {
          throw new IllegalArgumentException(
              what() + ": the size of bias axis '" + ch + "' is unknown");
        }
        biasShape.add(biasAxes.indexOf(ch) >= 0 ? d : 1);
      }
      if (!left) {
        for (int i = 0; i < elided; i++) {
          biasShape.add(1);
        }
      }
      bias = addBias("bias", biasShape.stream().mapToInt(Integer::intValue).toArray());
    }
    expanded = expand(m, elided, equation);
  }

  /** The equation with its ellipsis replaced by letters the equation does not use. */
  private static String expand(Matcher m, int elided, String equation) {
    if (m.pattern() == PLAIN) {
      return equation;
    }
    StringBuilder fresh = new StringBuilder();
    for (char ch = 'A'; fresh.length() < elided && ch <= 'z'; ch++) {
      if (Character.isLetter(ch) && equation.indexOf(ch) < 0) {
        fresh.append(ch);
      }
    }
    String f = fresh.toString();
    if (m.pattern() == LEFT) {
      return f + m.group(1) + "," + m.group(2) + "->" + f + m.group(3);
    }
    return m.group(1) + f + "," + m.group(2) + "->" + m.group(3) + f;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    Value y = ops.einsum(expanded, x, ops.read(kernel));
    if (bias != null) {
      y = ops.add(y, ops.read(bias));
    }
    ActivationFunction activation = args().get(ACTIVATION);
    if (activation != null) {
      y = activation.apply(ops, y);
    }
    addActivityPenalty(ops, args().get(ACTIVITY_REGULARIZER), y);
    return y;
  }
}
