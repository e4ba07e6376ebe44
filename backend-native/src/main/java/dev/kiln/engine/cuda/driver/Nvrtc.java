package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
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
    return new Nvrtc(CFunction.resolver("NVRTC", located));
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
      int r;
      try {
        r = (int) version.invokeExact(major, minor);
      } catch (Throwable t) {
        throw CFunction.unexpected(VERSION, t);
      }
      check(r, VERSION);
      return new int[] {major.get(JAVA_INT, 0), minor.get(JAVA_INT, 0)};
    }
  }

  /**
   * Compiles {@code source} (named {@code name} in messages) with {@code options} ({@code
   * --gpu-architecture=compute_80}, {@code -default-device}, ...) and returns the PTX.
   *
   * @throws CudaException if compilation fails; the message holds NVRTC's log
   */
  public String compile(String source, String name, List<String> options) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment programOut = arena.allocate(ADDRESS);
      int r;
      try {
        r =
            (int)
                createProgram.invokeExact(
                    programOut,
                    arena.allocateFrom(source),
                    arena.allocateFrom(name),
                    0,
                    MemorySegment.NULL,
                    MemorySegment.NULL);
      } catch (Throwable t) {
        throw CFunction.unexpected(CREATE_PROGRAM, t);
      }
      check(r, CREATE_PROGRAM, "src", source, "name", name);
      MemorySegment program = programOut.get(ADDRESS, 0);
      try {
        MemorySegment optionArray = arena.allocate(ADDRESS, Math.max(1, options.size()));
        for (int i = 0; i < options.size(); i++) {
          optionArray.setAtIndex(ADDRESS, i, arena.allocateFrom(options.get(i)));
        }
        try {
          r = (int) compileProgram.invokeExact(program, options.size(), optionArray);
        } catch (Throwable t) {
          throw CFunction.unexpected(COMPILE_PROGRAM, t);
        }
        if (r != 0) {
          CudaException e = failure(r, COMPILE_PROGRAM.symbol(), "name", name, "options", options);
          throw new CudaException(e.getMessage() + "\n" + log(arena, program), null);
        }
        return text(arena, program, getPtxSize, GET_PTX_SIZE, getPtx, GET_PTX);
      } finally {
        try {
          r = (int) destroyProgram.invokeExact(programOut);
        } catch (Throwable t) {
          throw CFunction.unexpected(DESTROY_PROGRAM, t);
        }
        check(r, DESTROY_PROGRAM, "prog", program);
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
    int r;
    try {
      r = (int) sizeHandle.invokeExact(program, size);
    } catch (Throwable t) {
      throw CFunction.unexpected(sizeFn, t);
    }
    check(r, sizeFn, "prog", program);
    long bytes = size.get(JAVA_LONG, 0);
    MemorySegment buffer = arena.allocate(Math.max(1, bytes));
    try {
      r = (int) textHandle.invokeExact(program, buffer);
    } catch (Throwable t) {
      throw CFunction.unexpected(textFn, t);
    }
    check(r, textFn, "prog", program);
    return buffer.getString(0);
  }
}
