package dev.kiln.api.models;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Kiln;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A plain stack of layers, each with one input and one output. It is built as soon as its input
 * shape is known: from an {@link Input} added first, from the first layer's {@code inputShape}, or
 * from the first data passed to {@code fit}/{@code predict}.
 *
 * {@snippet :
 * Sequential model = new Sequential(
 *     Input.of(784),
 *     new Dense(512, "relu"),
 *     new Dropout(0.2),
 *     new Dense(10, "softmax"));
 * }
 */
public class Sequential extends Model {
  private final List<Layer> stack = new ArrayList<>();
  private KerasTensor input;

  /** An empty model; {@link #add} layers. */
  public Sequential() {
    super(Kiln.uniqueName("sequential"));
  }

  /** A model of these layers; the first may be an {@link Input} (given as its tensor). */
  public Sequential(Object... layers) {
    this();
    for (Object o : layers) {
      if (o instanceof KerasTensor t) {
        add(t);
      } else if (o instanceof Layer l) {
        add(l);
      } else {
        throw new IllegalArgumentException(
            "Sequential takes layers and an Input; received " + o.getClass().getSimpleName());
      }
    }
  }

  /**
   * Sets the input, as {@code model.add(keras.Input(...))}.
   *
   * @throws KilnException if layers were added already
   */
  public Sequential add(KerasTensor in) {
    if (!stack.isEmpty() || input != null) {
      throw new KilnException(
          "An Input can only be the first element of a Sequential model (model \""
              + name()
              + "\")");
    }
    this.input = in;
    return this;
  }

  /**
   * Appends a layer and rebuilds if the input shape is known.
   *
   * @throws KilnException if the layer does not fit the previous output, naming both
   */
  public Sequential add(Layer layer) {
    if (layer instanceof InputLayer il) {
      return add(il.output());
    }
    for (Layer l : stack) {
      if (l.name().equals(layer.name())) {
        throw new KilnException(
            "All layers added to a Sequential model should have unique names. Name \""
                + layer.name()
                + "\" is already the name of a layer in this model.");
      }
    }
    stack.add(layer);
    if (input == null && stack.size() == 1 && layer.batchInputShape() != null) {
      int[] b = layer.batchInputShape();
      input = Input.of(layer.inputDtype(), Arrays.copyOfRange(b, 1, b.length));
    }
    if (input != null) {
      rebuild();
    }
    return this;
  }

  /** Removes the last layer. */
  public Layer pop() {
    if (stack.isEmpty()) {
      throw new KilnException("There are no layers in the model.");
    }
    Layer l = stack.remove(stack.size() - 1);
    if (input != null && !stack.isEmpty()) {
      rebuild();
    }
    return l;
  }

  private void rebuild() {
    KerasTensor x = input;
    for (Layer l : stack) {
      x = l.apply(x);
    }
    setGraph(List.of(input), List.of(x));
  }

  @Override
  public List<Layer> layers() {
    return List.copyOf(stack);
  }

  @Override
  protected int outputsCount() {
    return 1;
  }

  @Override
  int inputCount() {
    return 1;
  }

  @Override
  List<String> namedOutputs() {
    return stack.isEmpty() ? List.of() : new ArrayList<>(List.of(stack.getLast().name()));
  }

  @Override
  protected void ensureBuilt(List<Shape> shapes) {
    if (input != null) {
      return;
    }
    if (stack.isEmpty()) {
      throw new KilnException("Sequential model \"" + name() + "\" has no layers");
    }
    Shape s = shapes.get(0);
    input = Input.of(DType.FLOAT32, Arrays.copyOfRange(s.dims(), 1, s.rank()));
    rebuild();
  }

  /**
   * Called as a layer inside another model, a Sequential without an input shape takes it from its
   * first input, as Keras builds it on the first call.
   */
  @Override
  protected void build(List<Shape> inputShapes) {
    ensureBuilt(inputShapes);
  }

  /** Whether the input shape is known and the layers are built. */
  public boolean isBuilt() {
    return input != null;
  }

  @Override
  boolean summaryConnections() {
    return false;
  }

  @Override
  public String className() {
    return "Sequential";
  }

  /**
   * Keras 3's config of a Sequential model: {@code name}, {@code trainable}, {@code dtype} and its
   * {@code layers}, an {@code InputLayer} entry first when the input shape is known.
   */
  @Override
  public Map<String, Object> getConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", name());
    c.put("trainable", trainable());
    c.put("dtype", dtypePolicy().serialize());
    List<Object> ls = new ArrayList<>();
    if (input != null) {
      ls.add(FunctionalConfig.entry(input.layer()));
    }
    for (Layer l : stack) {
      ls.add(FunctionalConfig.entry(l));
    }
    c.put("layers", ls);
    return c;
  }

  /**
   * Rebuilds a Sequential model from its Keras config.
   *
   * @throws dev.kiln.api.KilnException naming the layer entry at fault
   */
  public static Sequential fromConfig(Map<String, Object> config) {
    return FunctionalConfig.readSequential(config);
  }
}
