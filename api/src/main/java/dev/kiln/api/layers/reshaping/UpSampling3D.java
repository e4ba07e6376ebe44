package dev.kiln.api.layers.reshaping;

import dev.kiln.api.layers.InputSpec;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.registry.Arg;
import dev.kiln.api.registry.KerasClass;
import dev.kiln.api.registry.Kind;
import dev.kiln.spi.ir.Value;

/**
 * Repeats each voxel {@code size[i]} times along spatial axis {@code i}: {@code (batch, d1, d2, d3,
 * channels)} to {@code (batch, d1 * size[0], d2 * size[1], d3 * size[2], channels)}
 * (channels_last).
 */
public final class UpSampling3D extends Layer {
  /** The factors for the three spatial axes. */
  public static final Arg<int[]> SIZE = Spatial.sizes("size", 3, new int[] {2, 2, 2});

  /** Where the channels are: {@code channels_last} (default) or {@code channels_first}. */
  public static final Arg<String> DATA_FORMAT = Spatial.dataFormat();

  /** UpSampling3D's declaration. */
  public static final KerasClass<UpSampling3D> KERAS =
      KerasClass.of(
          Kind.LAYER,
          "UpSampling3D",
          UpSampling3D.class,
          a -> new UpSampling3D(a.get(SIZE)),
          SIZE,
          DATA_FORMAT);

  /** Keras's default: twice along each spatial axis. */
  public UpSampling3D() {
    this(2, 2, 2);
  }

  /**
   * The factors for the spatial axes (one value for all three).
   *
   * @throws IllegalArgumentException unless one or three positive factors are given
   */
  public UpSampling3D(int... size) {
    args().set(SIZE, Spatial.factors(size, 3));
    this.inputSpec = InputSpec.ndim(5);
  }

  /** {@code "channels_last"} (default) or {@code "channels_first"}. */
  public UpSampling3D dataFormat(String format) {
    args().set(DATA_FORMAT, format);
    return this;
  }

  @Override
  protected Value call(Ops ops, Value x) {
    int[] size = args().get(SIZE);
    int[] axes = Spatial.axes(3, args().get(DATA_FORMAT));
    Value y = x;
    for (int i = 0; i < 3; i++) {
      y = ops.repeat(y, size[i], axes[i]);
    }
    return y;
  }
}
