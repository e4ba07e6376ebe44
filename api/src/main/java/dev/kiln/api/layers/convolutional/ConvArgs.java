package dev.kiln.api.layers.convolutional;

import dev.kiln.api.registry.Arg;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Argument declarations shared by the convolution and pooling layers: Keras's tuples ({@code
 * kernel_size}, {@code strides}, {@code dilation_rate}, {@code pool_size}), which take one integer
 * for every spatial axis or a list with one per axis and are always written as the full list, as
 * Keras 3's {@code get_config} does; {@code padding} and {@code data_format}.
 */
public final class ConvArgs {
  private ConvArgs() {}

  /** Keras's {@code channels_last}: {@code (batch, spatial..., channels)}. */
  public static final String CHANNELS_LAST = "channels_last";

  /** Keras's {@code channels_first}: {@code (batch, channels, spatial...)}. */
  public static final String CHANNELS_FIRST = "channels_first";

  /**
   * A tuple of {@code rank} integers {@code >= min}; a single integer (or a list of one) stands for
   * the same value on every axis.
   *
   * @param defaultValue the default (expanded to {@code rank} values), or null for none
   */
  public static Arg<int[]> tuple(String key, int rank, int min, int[] defaultValue) {
    String expected =
        rank == 1
            ? "an integer >= " + min + " (or a list of one)"
            : "an integer >= " + min + " or a list of " + rank + " such integers";
    return Arg.<int[]>of(
            key,
            expected,
            defaultValue == null ? null : expand(defaultValue, rank),
            v -> read(v, rank),
            ConvArgs::write)
        .checked(expected, t -> t.length == rank && Arrays.stream(t).allMatch(x -> x >= min))
        .schema(
            Map.of(
                "type",
                List.of("integer", "array"),
                "minimum",
                min,
                "items",
                Map.of("type", "integer", "minimum", min),
                "maxItems",
                rank));
  }

  /** {@code padding}: {@code valid} or {@code same}, and {@code causal} where allowed. */
  public static Arg<String> padding(boolean causal) {
    return causal
        ? Arg.choice("padding", "valid", "valid", "same", "causal")
        : Arg.choice("padding", "valid", "valid", "same");
  }

  /**
   * {@code data_format}: {@code channels_last} (the default, as Keras's {@code
   * image_data_format()}) or {@code channels_first}.
   */
  public static Arg<String> dataFormat() {
    return Arg.choice("data_format", CHANNELS_LAST, CHANNELS_LAST, CHANNELS_FIRST);
  }

  /**
   * {@code values} as a tuple of {@code rank}: one value is repeated, {@code rank} values are
   * copied, anything else is returned as it is for the argument's check to refuse.
   */
  public static int[] expand(int[] values, int rank) {
    if (values != null && values.length == 1 && rank > 1) {
      int[] out = new int[rank];
      Arrays.fill(out, values[0]);
      return out;
    }
    return values == null ? null : values.clone();
  }

  private static int[] read(Object v, int rank) {
    int[] raw;
    if (v instanceof int[] a) {
      raw = a;
    } else if (v instanceof Number n) {
      Integer i = readInt(n);
      if (i == null) {
        return null;
      }
      raw = new int[] {i};
    } else if (v instanceof List<?> list) {
      raw = new int[list.size()];
      for (int i = 0; i < raw.length; i++) {
        Integer x = list.get(i) instanceof Number n ? readInt(n) : null;
        if (x == null) {
          return null;
        }
        raw[i] = x;
      }
    } else {
      return null;
    }
    return expand(raw, rank);
  }

  private static Integer readInt(Number n) {
    double d = n.doubleValue();
    return d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE ? (int) d : null;
  }

  private static Object write(int[] a) {
    List<Object> out = new ArrayList<>();
    for (int x : a) {
      out.add(x);
    }
    return out;
  }
}
