package dev.kiln.applications;

/**
 * Keras's {@code keras.applications} in Java: each method starts a builder for one architecture
 * with Keras's defaults, e.g.
 *
 * <pre>{@code
 * Model base = Applications.resNet50().includeTop(false).pooling(Pooling.AVG).build();
 * Model net = Applications.mobileNetV2().alpha(0.35).inputShape(96, 96, 3).classes(10).build();
 * }</pre>
 *
 * The layers carry Keras's names, so Keras's weight files load into them. Inputs are preprocessed
 * with {@link ImageNet#preprocessInput} in the mode each builder's {@code preprocessing()} names.
 */
public final class Applications {
  private Applications() {}

  /** ResNet50 (Keras's {@code keras.applications.ResNet50}). */
  public static ResNet resNet50() {
    return new ResNet(50, false);
  }

  /** ResNet101. */
  public static ResNet resNet101() {
    return new ResNet(101, false);
  }

  /** ResNet152. */
  public static ResNet resNet152() {
    return new ResNet(152, false);
  }

  /** ResNet50V2 (pre-activation). */
  public static ResNet resNet50V2() {
    return new ResNet(50, true);
  }

  /** ResNet101V2. */
  public static ResNet resNet101V2() {
    return new ResNet(101, true);
  }

  /** ResNet152V2. */
  public static ResNet resNet152V2() {
    return new ResNet(152, true);
  }

  /** VGG16. */
  public static Vgg vgg16() {
    return new Vgg(16);
  }

  /** VGG19. */
  public static Vgg vgg19() {
    return new Vgg(19);
  }

  /** MobileNet (v1). */
  public static MobileNet mobileNet() {
    return new MobileNet();
  }

  /** MobileNetV2. */
  public static MobileNetV2 mobileNetV2() {
    return new MobileNetV2();
  }

  /** DenseNet121. */
  public static DenseNet denseNet121() {
    return new DenseNet(121);
  }

  /** DenseNet169. */
  public static DenseNet denseNet169() {
    return new DenseNet(169);
  }

  /** DenseNet201. */
  public static DenseNet denseNet201() {
    return new DenseNet(201);
  }

  /** Xception. */
  public static Xception xception() {
    return new Xception();
  }

  /** InceptionV3. */
  public static InceptionV3 inceptionV3() {
    return new InceptionV3();
  }

  /** EfficientNetB0. */
  public static EfficientNet efficientNetB0() {
    return new EfficientNet(0);
  }

  /** EfficientNetB1. */
  public static EfficientNet efficientNetB1() {
    return new EfficientNet(1);
  }

  /** EfficientNetB2. */
  public static EfficientNet efficientNetB2() {
    return new EfficientNet(2);
  }

  /** EfficientNetB3. */
  public static EfficientNet efficientNetB3() {
    return new EfficientNet(3);
  }

  /** EfficientNetB4. */
  public static EfficientNet efficientNetB4() {
    return new EfficientNet(4);
  }

  /** EfficientNetB5. */
  public static EfficientNet efficientNetB5() {
    return new EfficientNet(5);
  }

  /** EfficientNetB6. */
  public static EfficientNet efficientNetB6() {
    return new EfficientNet(6);
  }

  /** EfficientNetB7. */
  public static EfficientNet efficientNetB7() {
    return new EfficientNet(7);
  }

  /** InceptionResNetV2. */
  public static InceptionResNetV2 inceptionResNetV2() {
    return new InceptionResNetV2();
  }

  /** ConvNeXtTiny. */
  public static ConvNeXt convNeXtTiny() {
    return new ConvNeXt(0);
  }

  /** ConvNeXtSmall. */
  public static ConvNeXt convNeXtSmall() {
    return new ConvNeXt(1);
  }

  /** ConvNeXtBase. */
  public static ConvNeXt convNeXtBase() {
    return new ConvNeXt(2);
  }

  /** ConvNeXtLarge. */
  public static ConvNeXt convNeXtLarge() {
    return new ConvNeXt(3);
  }

  /** ConvNeXtXLarge. */
  public static ConvNeXt convNeXtXLarge() {
    return new ConvNeXt(4);
  }

  /** MobileNetV3Small. */
  public static MobileNetV3 mobileNetV3Small() {
    return new MobileNetV3(false);
  }

  /** MobileNetV3Large. */
  public static MobileNetV3 mobileNetV3Large() {
    return new MobileNetV3(true);
  }

  /** EfficientNetV2B0. */
  public static EfficientNetV2 efficientNetV2B0() {
    return new EfficientNetV2("b0");
  }

  /** EfficientNetV2B1. */
  public static EfficientNetV2 efficientNetV2B1() {
    return new EfficientNetV2("b1");
  }

  /** EfficientNetV2B2. */
  public static EfficientNetV2 efficientNetV2B2() {
    return new EfficientNetV2("b2");
  }

  /** EfficientNetV2B3. */
  public static EfficientNetV2 efficientNetV2B3() {
    return new EfficientNetV2("b3");
  }

  /** EfficientNetV2S. */
  public static EfficientNetV2 efficientNetV2S() {
    return new EfficientNetV2("s");
  }

  /** EfficientNetV2M. */
  public static EfficientNetV2 efficientNetV2M() {
    return new EfficientNetV2("m");
  }

  /** EfficientNetV2L. */
  public static EfficientNetV2 efficientNetV2L() {
    return new EfficientNetV2("l");
  }

  /** NASNetMobile: NASNet-A (4 @ 1056) at 224x224. */
  public static NASNet nasNetMobile() {
    return new NASNet(false);
  }

  /** NASNetLarge: NASNet-A (6 @ 4032) at 331x331. */
  public static NASNet nasNetLarge() {
    return new NASNet(true);
  }

  /**
   * A small ResNet for 28x28 grayscale images ({@link SmallResNet}; not a Keras architecture), with
   * weights Kiln ships for Fashion-MNIST ({@code weights("kiln:fashion_mnist")}).
   */
  public static SmallResNet smallResNet() {
    return new SmallResNet();
  }
}
