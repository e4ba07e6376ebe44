package dev.kiln.api;

import dev.kiln.api.registry.ArgumentException;
import dev.kiln.spi.DType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer's dtype policy, as Keras's {@code keras.DTypePolicy}: the dtype its variables are created
 * in ({@link #variableDtype()}) and the dtype it computes in ({@link #computeDtype()}).
 *
 * <p>A plain policy ({@code "float32"}, {@code "float64"}, {@code "float16"}, {@code "bfloat16"})
 * has one dtype for both. The mixed precision policies keep variables in float32 and compute in a
 * 16-bit type: {@code "mixed_float16"} (float16; {@code Model.compile} then wraps the optimizer in
 * a {@link dev.kiln.api.optimizers.LossScaleOptimizer}, as Keras does) and {@code "mixed_bfloat16"}
 * (bfloat16, which has float32's exponent range and needs no loss scaling).
 *
 * <p>What stays in float32 under a mixed policy, as in Keras 3: variables (and so the optimizer's
 * update and its state); losses and metrics, which cast 16-bit predictions to float32; the loss the
 * train step differentiates, with regularization penalties on the float32 weights;
 * BatchNormalization, which normalizes 16-bit inputs in float32, and LayerNormalization with
 * float32 weights, both returning the input's dtype. Softmax and Activation layers follow their
 * policy, as in Keras 3; Keras's advice, a last {@code Activation("softmax")} with the {@code
 * float32} policy, applies here too. Masked attention and Softmax add -3e4 rather than -1e9 to
 * masked float16 scores, as Keras does.
 *
 * <p>Layers made after {@link Kiln#setDtypePolicy} take the global policy as their default, as
 * after Keras's {@code keras.config.set_dtype_policy} (or {@code
 * keras.mixed_precision.set_global_policy}).
 *
 * {@snippet :
 * Kiln.setDtypePolicy("mixed_float16");
 * Dense d = new Dense(10);   // variables float32, computes in float16
 * Layer out = new Activation("softmax").dtypePolicy("float32"); // a float32 output layer
 * }
 */
public final class DTypePolicy {
  /** The default policy: everything in float32. */
  public static final DTypePolicy FLOAT32 =
      new DTypePolicy("float32", DType.FLOAT32, DType.FLOAT32);

  /** Variables in float32, computation in float16. */
  public static final DTypePolicy MIXED_FLOAT16 =
      new DTypePolicy("mixed_float16", DType.FLOAT16, DType.FLOAT32);

  /** Variables in float32, computation in bfloat16. */
  public static final DTypePolicy MIXED_BFLOAT16 =
      new DTypePolicy("mixed_bfloat16", DType.BFLOAT16, DType.FLOAT32);

  private static final List<DTypePolicy> ALL =
      List.of(
          FLOAT32,
          new DTypePolicy("float64", DType.FLOAT64, DType.FLOAT64),
          new DTypePolicy("float16", DType.FLOAT16, DType.FLOAT16),
          new DTypePolicy("bfloat16", DType.BFLOAT16, DType.BFLOAT16),
          MIXED_FLOAT16,
          MIXED_BFLOAT16);

  private final String name;
  private final DType compute;
  private final DType variable;

  private DTypePolicy(String name, DType compute, DType variable) {
    this.name = name;
    this.compute = compute;
    this.variable = variable;
  }

  /** The valid policy names, in a fixed order. */
  public static List<String> names() {
    return ALL.stream().map(p -> p.name).toList();
  }

  /**
   * The policy of this name.
   *
   * @throws ArgumentException for an unknown name, listing the valid ones
   */
  public static DTypePolicy of(String name) {
    return of(name, null);
  }

  /**
   * The policy of this name; an error names {@code owner} (such as {@code layer 'dense'}).
   *
   * @throws ArgumentException for an unknown name, naming the owner and listing the valid names
   */
  public static DTypePolicy of(String name, String owner) {
    for (DTypePolicy p : ALL) {
      if (p.name.equals(name)) {
        return p;
      }
    }
    throw new ArgumentException(
        (owner == null ? "" : owner + ": ")
            + "unknown dtype policy '"
            + name
            + "'; the valid policies are "
            + String.join(", ", names()));
  }

  /**
   * The plain policy of a floating dtype.
   *
   * @throws ArgumentException for a dtype that is not floating
   */
  public static DTypePolicy of(DType dtype) {
    if (!dtype.isFloating()) {
      throw new ArgumentException(
          "a dtype policy needs a floating dtype, got " + dtype.kerasName());
    }
    return of(dtype.kerasName());
  }

  /**
   * Reads a policy as a config holds it: a name ({@code "mixed_float16"}), Keras 3's {@code
   * {"class_name": "DTypePolicy", "config": {"name": ...}}} or Keras 2's {@code {"class_name":
   * "Policy", ...}}; errors name {@code owner}.
   *
   * @throws ArgumentException for anything else, or an unknown name
   */
  public static DTypePolicy fromConfig(Object value, String owner) {
    Object name = value;
    if (value instanceof DTypePolicy p) {
      return p;
    }
    if (value instanceof Map<?, ?> m && m.get("config") instanceof Map<?, ?> cfg) {
      Object cls = m.get("class_name");
      if (!"DTypePolicy".equals(cls) && !"Policy".equals(cls) && !"FloatDTypePolicy".equals(cls)) {
        throw new ArgumentException(
            owner
                + ": `dtype` must be a dtype policy name or a DTypePolicy, got class_name "
                + cls);
      }
      name = cfg.get("name");
    }
    if (!(name instanceof String s)) {
      throw new ArgumentException(
          owner + ": `dtype` must be a dtype policy name or a DTypePolicy, got " + value);
    }
    return of(s, owner);
  }

  /** The name ({@code "mixed_float16"}). */
  public String name() {
    return name;
  }

  /** The dtype a layer computes in: its inputs and variables are cast to it in a call. */
  public DType computeDtype() {
    return compute;
  }

  /** The dtype a layer creates its variables in. */
  public DType variableDtype() {
    return variable;
  }

  /** True where the compute and variable dtypes differ (the {@code mixed_} policies). */
  public boolean isMixed() {
    return compute != variable;
  }

  /**
   * Keras 3's serialized form: {@code {"module": "keras", "class_name": "DTypePolicy", "config":
   * {"name": ...}, "registered_name": null}}.
   */
  public Map<String, Object> serialize() {
    return envelope(name);
  }

  /**
   * Keras 3's serialized form of the policy named {@code name}, whatever the name: how a config
   * reader rewrites Keras 2's {@code Policy} objects before any name is checked.
   */
  public static Map<String, Object> envelope(String name) {
    Map<String, Object> cfg = new LinkedHashMap<>();
    cfg.put("name", name);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("module", "keras");
    out.put("class_name", "DTypePolicy");
    out.put("config", cfg);
    out.put("registered_name", null);
    return out;
  }

  @Override
  public String toString() {
    return "<DTypePolicy \"" + name + "\">";
  }
}
