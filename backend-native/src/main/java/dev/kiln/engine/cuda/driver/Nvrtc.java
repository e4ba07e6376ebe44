package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * NVRTC ({@code libnvrtc.so}) through FFM: compiles CUDA C++ source to PTX at run time, for kernels
 * generated from the IR (fused elementwise chains). Present only when the library is found.
 */
public final class Nvrtc {
  static final CFunction VERSION = CFunction.status("nvrtcVersion", ADDRESS, ADDRESS);
  static final CFunction CREATE_PROGRAM =
      CFunction.status("nvrtcCreateProgram", ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS);
  static final CFunction COMPILE_PROGRAM =
      CFunction.status("nvrtcCompileProgram", ADDRESS, JAVA_INT, ADDRESS);
  static final CFunction GET_PTX_SIZE = CFunction.status("nvrtcGetPTXSize", ADDRESS, ADDRESS);
  static final CFunction GET_PTX = CFunction.status("nvrtcGetPTX", ADDRESS, ADDRESS);
  static final CFunction GET_LOG_SIZE =
      CFunction.status("nvrtcGetProgramLogSize", ADDRESS, ADDRESS);
  static final CFunction GET_LOG = CFunction.status("nvrtcGetProgramLog", ADDRESS, ADDRESS);
  static final CFunction DESTROY_PROGRAM = CFunction.status("nvrtcDestroyProgram", ADDRESS);
  static final CFunction GET_ERROR_STRING =
      new CFunction(
          "nvrtcGetErrorString", List.of(), FunctionDescriptor.of(ADDRESS, JAVA_INT), true);

  /** Every function this class binds. */
  static final List<CFunction> FUNCTIONS =
      List.of(
          VERSION,
          CREATE_PROGRAM,
          COMPILE_PROGRAM,
          GET_PTX_SIZE,
          GET_PTX,
          GET_LOG_SIZE,
          GET_LOG,
          DESTROY_PROGRAM,
          GET_ERROR_STRING);

  private final MethodHandle version;
  private final MethodHandle createProgram;
  private final MethodHandle compileProgram;
  private final MethodHandle getPtxSize;
  private final MethodHandle getPtx;
  private final MethodHandle getLogSize;
  private final MethodHandle getLog;
  private final MethodHandle destroyProgram;
  private final MethodHandle getErrorString;
  private final Calls calls = new Calls(this::check);

  Nvrtc(Function<CFunction, MethodHandle> resolve) {
    version = resolve.apply(VERSION);
    createProgram = resolve.apply(CREATE_PROGRAM);
    compileProgram = resolve.apply(COMPILE_PROGRAM);
    getPtxSize = resolve.apply(GET_PTX_SIZE);
    getPtx = resolve.apply(GET_PTX);
    getLogSize = resolve.apply(GET_LOG_SIZE);
    getLog = resolve.apply(GET_LOG);
    destroyProgram = resolve.apply(DESTROY_PROGRAM);
    getErrorString = resolve.apply(GET_ERROR_STRING);
  }

  /**
   * Binds the NVRTC that {@code located} loaded.
   *
   * @throws CudaException if it was not found or lacks a function Kiln needs
   */
  public static Nvrtc bind(CudaLibraries.Located located) {
    Nvrtc nvrtc = new Nvrtc(CFunction.resolver("NVRTC", located));
    located
        .loaded()
        .map(CudaLibraries.Candidate::path)
        .ifPresent(p -> CudaLibraries.preload(builtinsBeside(p), CudaLibraries.Loader.SYSTEM));
    return nvrtc;
  }

  /**
   * The builtins library ({@code libnvrtc-builtins.so.13.0}) in the directory of the NVRTC at
   * {@code nvrtc}: NVRTC opens it by that name when it compiles, and fails every compilation with
   * NVRTC_ERROR_BUILTIN_OPERATION_FAILURE where the loader does not find it ({@link
   * CudaLibraries#preload}).
   */
  static List<Path> builtinsBeside(Path nvrtc) {
    return CudaLibraries.beside(nvrtc, "libnvrtc-builtins\\.so\\.\\d+\\.\\d+");
  }

  private void check(int code, CFunction f, Object... args) {
    if (code != 0) {
      throw failure(code, f.symbol(), args);
    }
  }

  private CudaException failure(int code, String call, Object... args) {
    return Status.failure(
        "NVRTC", call, args, code, StatusNames.NVRTC, null, Status.describer(getErrorString));
  }

  /** NVRTC's version as {@code {major, minor}}. */
  public int[] version() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment major = arena.allocate(JAVA_INT);
      MemorySegment minor = arena.allocate(JAVA_INT);
      calls.run(version, VERSION, Calls.named(), major, minor);
      return new int[] {major.get(JAVA_INT, 0), minor.get(JAVA_INT, 0)};
    }
  }

  /**
   * Compiles {@code source} (named {@code name} in messages) with {@code options} ({@code
   * --gpu-architecture=compute_80}, {@code -default-device}, ...) and returns the PTX.
   *
   * @throws CudaException if compilation fails; the message holds NVRTC's log, and {@link
   *     CudaException#errorName()} is {@code NVRTC_ERROR_COMPILATION} when the source is at fault
   */
  public String compile(String source, String name, List<String> options) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment program =
          calls.pointerOut(
              createProgram,
              CREATE_PROGRAM,
              Calls.named("src", source, "name", name),
              arena.allocateFrom(source),
              arena.allocateFrom(name),
              0,
              MemorySegment.NULL,
              MemorySegment.NULL);
      try {
        MemorySegment optionArray = arena.allocate(ADDRESS, Math.max(1, options.size()));
        for (int i = 0; i < options.size(); i++) {
          optionArray.setAtIndex(ADDRESS, i, arena.allocateFrom(options.get(i)));
        }
        try {
          calls.run(
              compileProgram,
              COMPILE_PROGRAM,
              Calls.named("name", name, "options", options),
              program,
              options.size(),
              optionArray);
        } catch (CudaException e) {
          throw new CudaException(
              e.getMessage() + "\n" + log(arena, program), e.call(), e.code(), e.errorName());
        }
        return text(arena, program, getPtxSize, GET_PTX_SIZE, getPtx, GET_PTX);
      } finally {
        calls.run(
            destroyProgram,
            DESTROY_PROGRAM,
            Calls.named("prog", program),
            arena.allocateFrom(ADDRESS, program));
      }
    }
  }

  private String log(Arena arena, MemorySegment program) {
    try {
      return text(arena, program, getLogSize, GET_LOG_SIZE, getLog, GET_LOG);
    } catch (RuntimeException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private String text(
      Arena arena,
      MemorySegment program,
      MethodHandle sizeHandle,
      CFunction sizeFn,
      MethodHandle textHandle,
      CFunction textFn) {
    MemorySegment size = arena.allocate(JAVA_LONG);
    calls.run(sizeHandle, sizeFn, Calls.named("prog", program), program, size);
    MemorySegment buffer = arena.allocate(Math.max(1, size.get(JAVA_LONG, 0)));
    calls.run(textHandle, textFn, Calls.named("prog", program), program, buffer);
    return buffer.getString(0);
  }
}
