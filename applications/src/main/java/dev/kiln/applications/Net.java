package dev.kiln.applications;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Graph-building shorthand shared by the architectures: each layer is made from its Keras class
 * name and config (through the registry, so the config is exactly the one Keras writes) and called
 * on symbolic tensors.
 */
final class Net {
  private Net() {}

  /** A layer from its Keras class name and config key/value pairs. */
  static Layer layer(String className, Object... pairs) {
    if (pairs.length % 2 != 0) {
      throw new IllegalArgumentException(className + ": config pairs must come as key, value");
    }
    Map<String, Object> c = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] != null) {
        c.put((String) pairs[i], pairs[i + 1]);
      }
    }
    return Registry.fromConfig(Kind.LAYER, className, c);
  }

  /** Calls {@code l} on the inputs and returns its single output. */
  static KerasTensor apply(Layer l, KerasTensor... in) {
    return l.applyAll(List.of(in)).get(0);
  }

  /** Calls a layer built from class name and config on one input. */
  static KerasTensor call(KerasTensor x, String className, Object... pairs) {
    return apply(layer(className, pairs), x);
  }

  /**
   * A Conv2D called on {@code x}: {@code kernel} an int or a {@code [rows, cols]} list, {@code
   * name} null for Keras's automatic name, {@code more} further config pairs ({@code "activation",
   * "relu"}, {@code "kernel_initializer", "he_normal"}, {@code "groups", n}).
   */
  static KerasTensor conv2d(
      KerasTensor x,
      int filters,
      Object kernel,
      int strides,
      String padding,
      boolean useBias,
      String name,
      Object... more) {
    Object[] pairs = new Object[12 + more.length];
    Object[] fixed = {
      "filters",
      filters,
      "kernel_size",
      kernel,
      "strides",
      strides,
      "padding",
      padding,
      "use_bias",
      useBias,
      "name",
      name
    };
    System.arraycopy(fixed, 0, pairs, 0, fixed.length);
    System.arraycopy(more, 0, pairs, fixed.length, more.length);
    return call(x, "Conv2D", pairs);
  }

  static KerasTensor relu(KerasTensor x, String name) {
    return call(x, "Activation", "activation", "relu", "name", name);
  }

  static KerasTensor relu6(KerasTensor x, String name) {
    return call(x, "ReLU", "max_value", 6.0, "name", name);
  }

  /** Batch normalization over the channel axis with this epsilon (Keras's default momentum). */
  static KerasTensor bn(KerasTensor x, double epsilon, String name) {
    return call(x, "BatchNormalization", "axis", 3, "epsilon", epsilon, "name", name);
  }

  static KerasTensor pad(KerasTensor x, int top, int bottom, int left, int right, String name) {
    return call(
        x,
        "ZeroPadding2D",
        "padding",
        List.of(List.of(top, bottom), List.of(left, right)),
        "name",
        name);
  }

  /**
   * The padding Keras's {@code imagenet_utils.correct_pad} gives a stride-2 convolution of this
   * kernel: {@code k/2} on every side, one less before when the spatial size is even (or unknown),
   * so the output matches TensorFlow's "same" padding.
   */
  static KerasTensor correctPad(KerasTensor x, int kernel, String name) {
    int h = x.shape().dim(1);
    int w = x.shape().dim(2);
    int adjustH = h < 0 ? 1 : 1 - h % 2;
    int adjustW = w < 0 ? 1 : 1 - w % 2;
    int c = kernel / 2;
    return pad(x, c - adjustH, c, c - adjustW, c, name);
  }
}
