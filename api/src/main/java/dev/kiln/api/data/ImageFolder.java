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
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Loads images from a directory with one subdirectory per class (as Keras's {@code
 * image_dataset_from_directory}): classes in alphabetical order, images resized bilinearly to
 * {@code height x width}, RGB float32 values in [0, 255], shape {@code (n, height, width, 3)}. PNG,
 * JPEG, BMP and GIF files are read; other files are skipped.
 */
public final class ImageFolder {
  private ImageFolder() {}

  /**
   * An upper bound on pixels per byte of file: deflate (PNG) expands at most about 1032 times and
   * packs up to 8 pixels a byte; BMP run lengths and GIF codes stay below this too.
   */
  private static final long MAX_PIXELS_PER_BYTE = 1 << 16;

  /** Images {@code (n, h, w, 3)} float32, labels int32 {@code (n,)}, class names by id. */
  public record Data(Tensor images, Tensor labels, List<String> classes) {}

  /**
   * Reads every image under {@code dir}'s class folders.
   *
   * @throws KilnException if there are no class folders or an image cannot be decoded, naming it
   */
  public static Data load(Path dir, int height, int width) throws IOException {
    if (height <= 0 || width <= 0 || (long) height * width * 3 > Integer.MAX_VALUE - 8) {
      throw new KilnException(
          "cannot resize the images in " + dir + " to " + height + " x " + width + " pixels");
    }
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
        images.add(pixels(read(f), height, width));
        labels.add(c);
      }
    }
    int n = images.size();
    if (n == 0) {
      throw new KilnException(
          dir
              + " has class folders "
              + classes
              + " but no images in them (.png, .jpg, .jpeg, .bmp or .gif files)");
    }
    int per = height * width * 3;
    if ((long) n * per > Integer.MAX_VALUE - 8) {
      throw new KilnException(
          dir
              + " holds "
              + n
              + " images, too many for one array at "
              + height
              + " x "
              + width
              + " pixels");
    }
    float[] flat = new float[n * per];
    for (int i = 0; i < n; i++) {
      System.arraycopy(images.get(i), 0, flat, i * per, per);
    }
    return new Data(
        Tensor.of(flat, n, height, width, 3),
        Tensor.of(labels.stream().mapToInt(Integer::intValue).toArray()),
        classes);
  }

  /**
   * Decodes one image file, checking the size its header claims before any pixels are allocated.
   *
   * @throws KilnException naming the file if it cannot be read, is not an image format Java reads,
   *     is truncated or corrupt, or claims more pixels than the file or the heap can hold
   */
  public static BufferedImage read(Path file) throws IOException {
    long fileSize = Files.size(file);
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      if (in == null) {
        throw new KilnException("cannot open image " + file);
      }
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new KilnException(
            "cannot decode image " + file + ": not a PNG, JPEG, BMP or GIF file (or damaged)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        int w = reader.getWidth(0);
        int h = reader.getHeight(0);
        checkSize(file, fileSize, w, h);
        return reader.read(0);
      } catch (IOException | RuntimeException e) {
        if (e instanceof KilnException k) {
          throw k;
        }
        // The decoders report damaged files with IIOException and, for some damage, with runtime
        // exceptions from deep inside; neither names the file.
        throw new KilnException(
            "cannot decode image " + file + ": " + e + " (is it truncated or damaged?)", e);
      } finally {
        reader.dispose();
      }
    } catch (IIOException e) {
      throw new KilnException("cannot read image " + file + ": " + e.getMessage(), e);
    }
  }

  private static void checkSize(Path file, long fileSize, int w, int h) {
    long pixels = (long) w * h;
    if (w <= 0 || h <= 0) {
      throw new KilnException("image " + file + " claims a size of " + w + " x " + h + " pixels");
    }
    // No format Java reads packs more than a few thousand pixels into one byte; a header claiming
    // more is corrupt, and decoding it would allocate the whole claimed size first.
    if (pixels > fileSize * MAX_PIXELS_PER_BYTE) {
      throw new KilnException(
          "image "
              + file
              + " claims "
              + w
              + " x "
              + h
              + " pixels, more than its "
              + fileSize
              + " bytes can hold; its header is corrupt");
    }
    long bytes = pixels * 4;
    long heap = Runtime.getRuntime().maxMemory();
    if (pixels > Integer.MAX_VALUE / 4 || bytes > heap / 2) {
      throw new KilnException(
          "image "
              + file
              + " is "
              + w
              + " x "
              + h
              + " pixels; decoding it needs about "
              + bytes / (1 << 20)
              + " MB, too much for one array or for the heap ("
              + heap / (1 << 20)
              + " MB; -Xmx raises it)");
    }
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
