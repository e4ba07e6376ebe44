package dev.kiln.applications;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.api.models.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The arguments every application shares, as Keras's {@code keras.applications} functions take
 * them: {@code includeTop}, {@code weights}, {@code inputTensor}, {@code inputShape}, {@code
 * pooling}, {@code classes}, {@code classifierActivation} and {@code name}. Each family's builder
 * adds its own arguments and the graph.
 *
 * @param <B> the family's builder, returned by every setter
 */
public abstract class ApplicationBuilder<B extends ApplicationBuilder<B>> {
  private boolean includeTop = true;
  private String weights;
  private KerasTensor inputTensor;
  private int[] inputShape;
  private Pooling pooling = Pooling.NONE;
  private int classes = 1000;
  private String classifierActivation = "softmax";
  private String name;

  ApplicationBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** Whether to end with the ImageNet classifier (default true). */
  public B includeTop(boolean includeTop) {
    this.includeTop = includeTop;
    return self();
  }

  /**
   * The weights to load: {@code null} for random initialization (the default), {@code "imagenet"}
   * for Keras's ImageNet file from the cache directory ({@link KerasWeights}), {@code "kiln:NAME"}
   * for weights shipped with Kiln, or the path of a weights file ({@code .h5}, {@code .weights.h5},
   * {@code .keras}, {@code .npz}).
   */
  public B weights(String weights) {
    this.weights = weights;
    return self();
  }

  /** A weights file to load after building. */
  public B weights(Path weights) {
    this.weights = weights == null ? null : weights.toString();
    return self();
  }

  /** An input made with {@link Input} to build the model on, instead of a new one. */
  public B inputTensor(KerasTensor inputTensor) {
    this.inputTensor = inputTensor;
    return self();
  }

  /**
   * The input's {@code (height, width, channels)}; a size of {@code -1} is unknown. Defaults to the
   * family's default size with the top, and to unknown height and width without it.
   */
  public B inputShape(int... inputShape) {
    this.inputShape = inputShape == null ? null : inputShape.clone();
    return self();
  }

  /** The pooling after the last block when {@code includeTop} is false (default none). */
  public B pooling(Pooling pooling) {
    this.pooling = pooling == null ? Pooling.NONE : pooling;
    return self();
  }

  /** The number of classes of the top classifier (default 1000). */
  public B classes(int classes) {
    this.classes = classes;
    return self();
  }

  /**
   * The top classifier's activation (default {@code "softmax"}; {@code null} or {@code "linear"}
   * gives logits).
   */
  public B classifierActivation(String classifierActivation) {
    this.classifierActivation = classifierActivation;
    return self();
  }

  /** The model's name (default Keras's name for the architecture, e.g. {@code resnet50}). */
  public B name(String name) {
    this.name = name;
    return self();
  }

  // ------------------------------------------------------------------ for the families

  boolean includeTop() {
    return includeTop;
  }

  Pooling pooling() {
    return pooling;
  }

  int classes() {
    return classes;
  }

  String classifierActivation() {
    return classifierActivation == null ? "linear" : classifierActivation;
  }

  String weights() {
    return weights;
  }

  /** Keras's name for the model as configured. */
  abstract String defaultName();

  /** The square input size the family's ImageNet weights were trained at. */
  abstract int defaultSize();

  /**
   * Whether the input defaults to the family's default size without the top too (instead of an
   * unknown height and width).
   */
  boolean defaultSizeWithoutTop() {
    return false;
  }

  /** The input channels when no input shape is given (3, RGB, for the ImageNet families). */
  int defaultChannels() {
    return 3;
  }

  /** The smallest height and width the architecture accepts. */
  int minSize() {
    return 32;
  }

  /** Whether the top needs a known input size (a Flatten before Dense). */
  boolean topNeedsFixedSize() {
    return false;
  }

  /** The ImageNet weights' file name in Keras's cache, or null if Keras publishes none. */
  abstract String kerasWeightsFile();

  /** The graph from the input to the output, as the family builds it. */
  abstract KerasTensor graph(KerasTensor input);

  /** Checks the family's own arguments (called first by {@link #build()}). */
  void checkArgs() {}

  /** The input shape the build uses: given, or the family's default. */
  int[] resolvedInputShape() {
    if (inputTensor != null) {
      int[] d = inputTensor.shape().dims();
      return Arrays.copyOfRange(d, 1, d.length);
    }
    if (inputShape != null) {
      return inputShape.clone();
    }
    int s =
        includeTop || defaultSizeWithoutTop() || "imagenet".equals(weights) ? defaultSize() : -1;
    return new int[] {s, s, defaultChannels()};
  }

  /** Adds the global pooling named by {@link #pooling()} to a headless model. */
  KerasTensor headlessPooling(KerasTensor x, String avgName, String maxName) {
    return switch (pooling) {
      case AVG -> Net.call(x, "GlobalAveragePooling2D", "name", avgName);
      case MAX -> Net.call(x, "GlobalMaxPooling2D", "name", maxName);
      case NONE -> x;
    };
  }

  /** The Dense classifier named {@code predictions}. */
  KerasTensor classifier(KerasTensor x) {
    return Net.call(
        x, "Dense", "units", classes, "activation", classifierActivation(), "name", "predictions");
  }

  /**
   * Builds the model: checks the arguments as Keras does, assembles the graph and loads the
   * weights.
   *
   * @throws IllegalArgumentException if an argument is out of range, naming it and its value
   * @throws KilnException if the weights cannot be found or do not fit the model
   */
  public final Model build() {
    checkCommonArgs();
    checkArgs();
    int[] shape = resolvedInputShape();
    checkInputShape(shape);
    KerasTensor in = inputTensor != null ? inputTensor : Input.of(shape);
    KerasTensor out = graph(in);
    Model m =
        Model.of(
            java.util.List.of(in), java.util.List.of(out), name != null ? name : defaultName());
    if (weights != null && weights.startsWith(KerasWeights.KILN_PREFIX)) {
      try {
        ShippedWeights.load(m, weights, this);
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    } else if (weights != null) {
      Path file = KerasWeights.resolve(weights, defaultName(), kerasWeightsFile());
      try {
        m.loadWeights(file);
      } catch (IOException e) {
        m.close();
        throw new UncheckedIOException("cannot read weights " + file + " for " + m.name(), e);
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    }
    return m;
  }

  private void checkCommonArgs() {
    if (classes < 1) {
      throw new IllegalArgumentException(
          "classes must be at least 1. Received: classes=" + classes);
    }
    if ("imagenet".equals(weights) && includeTop && classes != 1000) {
      throw new IllegalArgumentException(
          "If using weights='imagenet' with includeTop=true, classes should be 1000. Received:"
              + " classes="
              + classes);
    }
    if (weights != null
        && !"imagenet".equals(weights)
        && !weights.startsWith(KerasWeights.KILN_PREFIX)
        && !Files.exists(Path.of(weights))) {
      throw new IllegalArgumentException(
          "The weights argument should be null (random initialization), 'imagenet', 'kiln:NAME'"
              + " or the path to an existing weights file. Received: weights="
              + weights);
    }
    if (inputTensor != null && !(inputTensor.layer() instanceof InputLayer)) {
      throw new IllegalArgumentException(
          "inputTensor must be an input made with Input (a model's source input); received the"
              + " output of layer \""
              + inputTensor.layer().name()
              + "\"");
    }
  }

  private void checkInputShape(int[] shape) {
    String got = "Received: inputShape=" + Arrays.toString(shape);
    if (shape.length != 3) {
      throw new IllegalArgumentException("inputShape must be (height, width, channels). " + got);
    }
    if ("imagenet".equals(weights)) {
      if (shape[2] != 3) {
        throw new IllegalArgumentException(
            "The input must have 3 channels to load the ImageNet weights. " + got);
      }
      if (includeTop && (shape[0] != defaultSize() || shape[1] != defaultSize())) {
        throw new IllegalArgumentException(
            "With includeTop=true and weights='imagenet', inputShape should be ("
                + defaultSize()
                + ", "
                + defaultSize()
                + ", 3). "
                + got);
      }
    }
    for (int i = 0; i < 2; i++) {
      if (shape[i] >= 0 && shape[i] < minSize()) {
        throw new IllegalArgumentException(
            "Input size must be at least " + minSize() + "x" + minSize() + ". " + got);
      }
    }
    if (includeTop && topNeedsFixedSize() && (shape[0] < 0 || shape[1] < 0)) {
      throw new IllegalArgumentException(
          "If includeTop is true, you should specify a static inputShape. " + got);
    }
  }
}
