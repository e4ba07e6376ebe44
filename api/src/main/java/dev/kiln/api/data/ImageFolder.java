package dev.kiln.api.data;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Loads images from a directory with one subdirectory per class (as Keras's {@code
 * image_dataset_from_directory}): classes in alphabetical order, images resized bilinearly to
 * {@code height x width}, RGB float32 values in [0, 255], shape {@code (n, height, width, 3)}. PNG,
 * JPEG, BMP and GIF files are read; other files are skipped.
 */
public final class ImageFolder {
  private ImageFolder() {}

  /** Images {@code (n, h, w, 3)} float32, labels int32 {@code (n,)}, class names by id. */
  public record Data(Tensor images, Tensor labels, List<String> classes) {}

  /**
   * Reads every image under {@code dir}'s class folders.
   *
   * @throws KilnException if there are no class folders or an image cannot be decoded, naming it
   */
  public static Data load(Path dir, int height, int width) throws IOException {
    List<Path> classDirs;
    try (Stream<Path> s = Files.list(dir)) {
      classDirs = s.filter(Files::isDirectory).sorted().toList();
    }
    if (classDirs.isEmpty()) {
      throw new KilnException(dir + " has no class subdirectories");
    }
    List<String> classes = new ArrayList<>();
    List<float[]> images = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    for (int c = 0; c < classDirs.size(); c++) {
      classes.add(classDirs.get(c).getFileName().toString());
      List<Path> files;
      try (Stream<Path> s = Files.list(classDirs.get(c))) {
        files = s.filter(ImageFolder::isImage).sorted().toList();
      }
      for (Path f : files) {
        BufferedImage img = ImageIO.read(f.toFile());
        if (img == null) {
          throw new KilnException("cannot decode image " + f);
        }
        images.add(pixels(img, height, width));
        labels.add(c);
      }
    }
    int n = images.size();
    int per = height * width * 3;
    float[] flat = new float[n * per];
    for (int i = 0; i < n; i++) {
      System.arraycopy(images.get(i), 0, flat, i * per, per);
    }
    return new Data(
        Tensor.of(flat, n, height, width, 3),
        Tensor.of(labels.stream().mapToInt(Integer::intValue).toArray()),
        classes);
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png")
        || n.endsWith(".jpg")
        || n.endsWith(".jpeg")
        || n.endsWith(".bmp")
        || n.endsWith(".gif");
  }

  /** One image resized to {@code h x w}, as RGB floats in [0, 255], row-major. */
  public static float[] pixels(BufferedImage img, int h, int w) {
    BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    g.drawImage(img, 0, 0, w, h, null);
    g.dispose();
    float[] out = new float[h * w * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = rgb.getRGB(x, y);
        int o = (y * w + x) * 3;
        out[o] = (p >> 16) & 0xff;
        out[o + 1] = (p >> 8) & 0xff;
        out[o + 2] = p & 0xff;
      }
    }
    return out;
  }
}
