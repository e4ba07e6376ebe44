package dev.kiln.engine.cuda.driver;

import java.io.File;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds the CUDA driver ({@code libcuda.so.1}) and the optional NVIDIA libraries (cuBLAS, cuBLASLt,
 * cuDNN, NVRTC) and opens them.
 *
 * <p>Search order, from {@link Settings}: the {@code kiln.cuda.libraryPath} property (a
 * path-separator list of directories), {@code $CUDA_HOME/lib64} and {@code lib}, the {@code
 * LD_LIBRARY_PATH} directories, the standard directories ({@code /usr/local/cuda/lib64}, the
 * distribution's library directories, {@code /usr/local/cuda-*}{@code /lib64} newest first), and
 * the {@code nvidia/}{@code *}{@code /lib} directories of pip-installed NVIDIA wheels. The first
 * directory that holds a library wins (so the property overrides everything); within it, the newest
 * soname version ({@code libcublas.so.13} before {@code libcublas.so.12}). The dynamic loader (by
 * soname, through {@code ld.so.cache}) is tried first for the driver, which the NVIDIA installer
 * registers there, and after the directories for the other libraries.
 *
 * <p>{@link #candidates} is the pure part (directory listings only) and is what tests check; {@link
 * #locate} opens candidates in order until one loads and reports every place it tried.
 */
public final class CudaLibraries {
  /** The system property naming extra directories to search first. */
  public static final String PROPERTY = "kiln.cuda.libraryPath";

  private CudaLibraries() {}

  /** A library Kiln may use: its name for people, its file name stem and its known sonames. */
  public enum Library {
    /** The CUDA driver API; required for any CUDA device. */
    CUDA("CUDA driver", "libcuda.so", List.of("libcuda.so.1"), true),
    /** cuBLASLt; loaded before cuBLAS, which links to it. */
    CUBLAS_LT(
        "cuBLASLt",
        "libcublasLt.so",
        List.of("libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11"),
        false),
    /** cuBLAS (GEMM). */
    CUBLAS(
        "cuBLAS",
        "libcublas.so",
        List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so.11"),
        false),
    /** cuDNN (convolution, pooling). */
    CUDNN("cuDNN", "libcudnn.so", List.of("libcudnn.so.9", "libcudnn.so.8"), false),
    /** NVRTC (runtime compilation of generated kernels). */
    NVRTC(
        "NVRTC",
        "libnvrtc.so",
        List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2"),
        false);

    private final String title;
    private final String stem;
    private final List<String> sonames;
    private final boolean driver;

    Library(String title, String stem, List<String> sonames, boolean driver) {
      this.title = title;
      this.stem = stem;
      this.sonames = sonames;
      this.driver = driver;
    }

    /** The name people know it by ({@code cuBLAS}). */
    public String title() {
      return title;
    }

    /** The file name without version ({@code libcublas.so}). */
    public String stem() {
      return stem;
    }

    /** The sonames the dynamic loader is asked for, newest first. */
    public List<String> sonames() {
      return sonames;
    }

    /** Whether a file name is this library ({@code libcublas.so.12.4.5.8} but not cuBLASLt). */
    boolean matches(String fileName) {
      Optional<int[]> v = version(stem, fileName);
      // The driver's soname is .1; the versioned file beside it (libcuda.so.550.54) is the same
      // library, and the bare libcuda.so is a development symlink that may point to a stub.
      return v.isPresent() && (!driver || (v.get().length == 1 && v.get()[0] == 1));
    }
  }

  /**
   * Where to search.
   *
   * @param libraryPath the {@code kiln.cuda.libraryPath} value, or null
   * @param cudaHome the {@code CUDA_HOME} value, or null
   * @param ldLibraryPath the {@code LD_LIBRARY_PATH} value, or null
   * @param standardDirs the standard and pip directories, in order
   * @param useLoader whether to ask the dynamic loader by soname
   */
  public record Settings(
      String libraryPath,
      String cudaHome,
      String ldLibraryPath,
      List<Path> standardDirs,
      boolean useLoader) {
    /** Copies the list. */
    public Settings {
      standardDirs = List.copyOf(standardDirs);
    }

    /** The settings of this process: its property, environment and standard directories. */
    public static Settings fromEnvironment() {
      return new Settings(
          System.getProperty(PROPERTY),
          System.getenv("CUDA_HOME"),
          System.getenv("LD_LIBRARY_PATH"),
          standardDirectories(),
          true);
    }

    /** Only these directories, without the dynamic loader (for tests and explicit setups). */
    public static Settings only(List<Path> dirs) {
      return new Settings(null, null, null, dirs, false);
    }

    /** Every directory to search, in order, without repeats. */
    public List<Path> directories() {
      LinkedHashSet<Path> dirs = new LinkedHashSet<>();
      addPathList(dirs, libraryPath);
      if (cudaHome != null && !cudaHome.isBlank()) {
        dirs.add(Path.of(cudaHome, "lib64"));
        dirs.add(Path.of(cudaHome, "lib"));
      }
      addPathList(dirs, ldLibraryPath);
      for (Path p : standardDirs) {
        dirs.add(p.normalize());
      }
      return List.copyOf(dirs);
    }

    /** What was searched, for reports: each source and its value. */
    String sources() {
      return PROPERTY
          + "="
          + (libraryPath == null ? "(unset)" : libraryPath)
          + ", CUDA_HOME="
          + (cudaHome == null ? "(unset)" : cudaHome)
          + ", LD_LIBRARY_PATH="
          + (ldLibraryPath == null ? "(unset)" : ldLibraryPath);
    }

    private static void addPathList(LinkedHashSet<Path> dirs, String list) {
      if (list == null) {
        return;
      }
      for (String s : list.split(Pattern.quote(File.pathSeparator))) {
        if (!s.isBlank()) {
          dirs.add(Path.of(s.strip()).normalize());
        }
      }
    }
  }

  /**
   * One place a library may be loaded from.
   *
   * @param library the library
   * @param fileName the file name or the soname asked of the loader
   * @param path the file, or null when the dynamic loader is asked for {@code fileName}
   */
  public record Candidate(Library library, String fileName, Path path) {
    /** The file's path, or {@code "dynamic loader: <soname>"}. */
    public String where() {
      return path != null ? path.toString() : "dynamic loader: " + fileName;
    }
  }

  /**
   * The outcome of a search.
   *
   * @param library the library
   * @param loaded the candidate that loaded, if any
   * @param lookup its symbols, when loaded
   * @param searched every directory and soname tried, with why each failed
   */
  public record Located(
      Library library, Optional<Candidate> loaded, SymbolLookup lookup, List<String> searched) {
    /** Copies the list. */
    public Located {
      searched = List.copyOf(searched);
    }

    /** Whether it loaded. */
    public boolean found() {
      return loaded.isPresent();
    }

    /** {@code "cuBLAS: /usr/local/cuda/lib64/libcublas.so.12"} or what was searched. */
    public String describe() {
      return loaded
          .map(c -> library.title() + ": " + c.where())
          .orElseGet(
              () ->
                  library.title()
                      + ": no "
                      + library.stem()
                      + ".* found; searched "
                      + String.join(", ", searched));
    }
  }

  /** Opens one candidate; {@link #SYSTEM} uses the JDK's library lookup. */
  @FunctionalInterface
  public interface Loader {
    /**
     * Loads the candidate.
     *
     * @throws RuntimeException if it cannot be loaded (the message says why)
     */
    SymbolLookup load(Candidate candidate);

    /** Loads with {@link SymbolLookup#libraryLookup}, keeping the library for the process. */
    Loader SYSTEM =
        c ->
            c.path() != null
                ? SymbolLookup.libraryLookup(c.path(), Arena.global())
                : SymbolLookup.libraryLookup(c.fileName(), Arena.global());
  }

  /**
   * The places to try for {@code library}, in order: for the driver, the dynamic loader and then
   * the directories; for the others, the directories and then the loader. Only directory listings
   * are read.
   */
  public static List<Candidate> candidates(Library library, Settings settings) {
    List<Candidate> fromDirs = new ArrayList<>();
    for (Path dir : settings.directories()) {
      newestIn(library, dir).ifPresent(p -> fromDirs.add(new Candidate(library, fileName(p), p)));
    }
    List<Candidate> fromLoader = new ArrayList<>();
    if (settings.useLoader()) {
      for (String soname : library.sonames()) {
        fromLoader.add(new Candidate(library, soname, null));
      }
    }
    List<Candidate> all = new ArrayList<>();
    if (library.driver) {
      all.addAll(fromLoader);
      all.addAll(fromDirs);
    } else {
      all.addAll(fromDirs);
      all.addAll(fromLoader);
    }
    return all;
  }

  /** Finds and opens {@code library}; never throws, the result says what happened. */
  public static Located locate(Library library, Settings settings, Loader loader) {
    List<String> searched = new ArrayList<>();
    searched.add(settings.sources());
    List<Candidate> candidates = candidates(library, settings);
    for (Candidate c : candidates) {
      try {
        SymbolLookup lookup = loader.load(c);
        return new Located(library, Optional.of(c), lookup, searched);
      } catch (RuntimeException | LinkageError e) {
        searched.add(c.where() + " (did not load: " + e.getMessage() + ")");
      }
    }
    List<String> without =
        settings.directories().stream()
            .filter(
                d ->
                    candidates.stream()
                        .noneMatch(c -> c.path() != null && d.equals(c.path().getParent())))
            .map(Path::toString)
            .toList();
    if (!without.isEmpty()) {
      searched.add("no " + library.stem() + ".* in " + String.join(", ", without));
    }
    if (!settings.useLoader()) {
      searched.add("dynamic loader not asked");
    }
    return new Located(library, Optional.empty(), null, searched);
  }

  /** The newest version of {@code library} in {@code dir}, if any. */
  static Optional<Path> newestIn(Library library, Path dir) {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    List<Path> matches = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, library.stem() + "*")) {
      for (Path p : entries) {
        if (library.matches(fileName(p)) && Files.isRegularFile(p)) {
          matches.add(p);
        }
      }
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
    return matches.stream()
        .max(
            Comparator.comparing(
                (Path p) -> version(library.stem(), fileName(p)).orElseThrow(), Arrays::compare));
  }

  private static final Pattern VERSION = Pattern.compile("((?:\\.\\d+)*)");

  /**
   * The version numbers after {@code stem} in {@code fileName} ({@code [12, 4]} for {@code
   * libcublas.so.12.4}, {@code []} for the bare {@code libcublas.so}); empty if the name is another
   * file.
   */
  static Optional<int[]> version(String stem, String fileName) {
    if (!fileName.startsWith(stem)) {
      return Optional.empty();
    }
    Matcher m = VERSION.matcher(fileName.substring(stem.length()));
    if (!m.matches()) {
      return Optional.empty();
    }
    String digits = m.group(1);
    if (digits.isEmpty()) {
      return Optional.of(new int[0]);
    }
    try {
      return Optional.of(
          Stream.of(digits.substring(1).split("\\.")).mapToInt(Integer::parseInt).toArray());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static String fileName(Path p) {
    return p.getFileName().toString();
  }

  /**
   * The standard directories: the CUDA toolkit's, the distribution's, WSL's driver directory, every
   * {@code /usr/local/cuda-X.Y/lib64} (newest first) and pip's {@code nvidia/}{@code *}{@code /lib}
   * directories under the Python site directories that exist.
   */
  static List<Path> standardDirectories() {
    List<Path> dirs = new ArrayList<>();
    dirs.add(Path.of("/usr/local/cuda/lib64"));
    dirs.add(Path.of("/usr/lib/x86_64-linux-gnu"));
    dirs.add(Path.of("/usr/lib64"));
    dirs.add(Path.of("/usr/lib"));
    dirs.add(Path.of("/usr/lib/wsl/lib"));
    dirs.addAll(
        subdirectories(Path.of("/usr/local"), "cuda-*").stream()
            .sorted(
                Comparator.comparing(
                        (Path p) ->
                            version("cuda", "cuda." + fileName(p).substring(5)).orElse(null),
                        Comparator.nullsFirst(Arrays::compare))
                    .reversed())
            .map(p -> p.resolve("lib64"))
            .toList());
    List<Path> sites = new ArrayList<>();
    String venv = System.getenv("VIRTUAL_ENV");
    if (venv != null) {
      sites.add(Path.of(venv, "lib"));
    }
    sites.add(Path.of(System.getProperty("user.home", "/nonexistent"), ".local", "lib"));
    sites.add(Path.of("/usr/local/lib"));
    sites.add(Path.of("/usr/lib"));
    for (Path lib : sites) {
      for (Path python : subdirectories(lib, "python3*")) {
        for (String packages : List.of("site-packages", "dist-packages")) {
          for (Path nvidia : subdirectories(python.resolve(packages).resolve("nvidia"), "*")) {
            dirs.add(nvidia.resolve("lib"));
          }
        }
      }
    }
    return dirs;
  }

  private static List<Path> subdirectories(Path dir, String glob) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, glob)) {
      for (Path p : entries) {
        if (Files.isDirectory(p)) {
          found.add(p);
        }
      }
    } catch (IOException | SecurityException e) {
      return List.of();
    }
    found.sort(Comparator.naturalOrder());
    return found;
  }

  /**
   * The files in the directory of {@code library} whose names match {@code pattern} entirely,
   * sorted; none when the directory cannot be read.
   */
  static List<Path> beside(Path library, String pattern) {
    Path dir = library.toAbsolutePath().getParent();
    if (dir == null) {
      return List.of();
    }
    Pattern p = Pattern.compile(pattern);
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> p.matcher(f.getFileName().toString()).matches()).sorted().toList();
    } catch (IOException | java.io.UncheckedIOException e) {
      return List.of();
    }
  }

  /**
   * Loads {@code files} for the rest of the process, each after those it needs: a library that does
   * not load yet is tried again after the others, until a round loads none. NVIDIA's libraries open
   * their parts by soname at run time (cuDNN its sub-libraries, NVRTC its builtins), through the
   * dynamic loader's search path, which need not hold the directory Kiln found them in (pip's
   * {@code nvidia/}{@code *}{@code /lib}, a {@code /usr/local/cuda-X.Y} outside {@code
   * ld.so.conf}); a library already loaded is found by its soname, wherever it came from.
   *
   * @return the files that did not load
   */
  static List<Path> preload(List<Path> files, Loader loader) {
    List<Path> left = new ArrayList<>(files);
    boolean progress = true;
    while (progress && !left.isEmpty()) {
      progress = false;
      for (java.util.Iterator<Path> it = left.iterator(); it.hasNext(); ) {
        Path f = it.next();
        try {
          loader.load(new Candidate(null, f.getFileName().toString(), f));
          it.remove();
          progress = true;
        } catch (RuntimeException e) {
          // Perhaps it needs one later in the list; tried again in the next round.
        }
      }
    }
    return left;
  }
}
