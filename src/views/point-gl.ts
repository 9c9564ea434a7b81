/**
 * The WebGL2 point renderer behind the interactive scatter: one vertex buffer of positions and
 * one of colours, uploaded once; one `drawArrays(POINTS)` call per frame, in draw order; zoom
 * and pan change two uniforms and never re-upload. Highlight rings (neighbours, a Mapper
 * node's members) and lasso rings are extra passes over index buffers of the same vertices.
 *
 * Positions are stored as float32 offsets from the points' centre (computed in float64), so
 * deep zooms keep their precision. A disc is a point sprite whose fragments outside the unit
 * circle are discarded, with a one-pixel anti-aliased edge.
 *
 * Returns null where WebGL2 is missing; the caller then draws with the software rasteriser.
 */

/** How data coordinates map to canvas CSS pixels: px = x · scaleX + offsetX (likewise y). */
export interface PixelTransform {
  scaleX: number;
  offsetX: number;
  scaleY: number;
  offsetY: number;
}

export interface RingStyle {
  /** CSS colour as [r, g, b, a] in 0–1. */
  color: [number, number, number, number];
  /** Ring outer radius and line width, CSS pixels. */
  radius: number;
  lineWidth: number;
  /** Instead of a ring, draw the points again as they are, at full opacity (a lasso's selection). */
  fill?: boolean;
}

const VERTEX_SHADER = `#version 300 es
in vec2 position;
in vec4 color;
uniform vec2 scale;
uniform vec2 offset;
uniform float pointSize;
out vec4 fill;
void main() {
  gl_Position = vec4(position * scale + offset, 0.0, 1.0);
  gl_PointSize = pointSize;
  fill = color;
}`;

// ring > 0 draws an annulus of that relative inner radius in ringColor instead of a filled disc.
const FRAGMENT_SHADER = `#version 300 es
precision highp float;
in vec4 fill;
uniform float pointSize;
uniform float opacity;
uniform float ring;
uniform vec4 ringColor;
out vec4 outColor;
void main() {
  float d = length(gl_PointCoord * 2.0 - 1.0) * pointSize * 0.5;
  float radius = pointSize * 0.5 - 0.5;
  float edge = clamp(radius + 0.5 - d, 0.0, 1.0);
  if (ring > 0.0) edge *= clamp(d - ring * radius + 0.5, 0.0, 1.0);
  if (edge <= 0.0) discard;
  vec4 c = ring > 0.0 ? ringColor : vec4(fill.rgb, fill.a * opacity);
  outColor = vec4(c.rgb * c.a * edge, c.a * edge);
}`;

export class PointRenderer {
  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly uniforms: Record<string, WebGLUniformLocation | null>;
  private count = 0;
  private centreX = 0;
  private centreY = 0;
  private readonly rings = new Map<
    string,
    { buffer: WebGLBuffer; count: number; style: RingStyle }
  >();

  private constructor(
    readonly canvas: HTMLCanvasElement,
    gl: WebGL2RenderingContext,
  ) {
    this.gl = gl;
    this.program = link(gl, VERTEX_SHADER, FRAGMENT_SHADER);
    this.vao = gl.createVertexArray()!;
    this.uniforms = Object.fromEntries(
      ["scale", "offset", "pointSize", "opacity", "ring", "ringColor"].map((name) => [
        name,
        gl.getUniformLocation(this.program, name),
      ]),
    );
  }

  /** A renderer on this canvas, or null when the browser has no WebGL2. */
  static create(canvas: HTMLCanvasElement): PointRenderer | null {
    let gl: WebGL2RenderingContext | null = null;
    try {
      gl = canvas.getContext("webgl2", {
        antialias: false,
        premultipliedAlpha: true,
        alpha: true,
        preserveDrawingBuffer: true,
      });
    } catch {
      gl = null;
    }
    if (!gl) return null;
    try {
      return new PointRenderer(canvas, gl);
    } catch (error) {
      console.warn(`scatter: WebGL2 set-up failed, drawing without it (${String(error)})`);
      return null;
    }
  }

  /** Upload the points (data coordinates, draw order) and their straight RGBA colours. */
  setPoints(x: Float64Array, y: Float64Array, colors: Uint8Array): void {
    const gl = this.gl;
    const n = x.length;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += x[i];
      sy += y[i];
    }
    this.centreX = n ? sx / n : 0;
    this.centreY = n ? sy / n : 0;
    const positions = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      positions[2 * i] = x[i] - this.centreX;
      positions[2 * i + 1] = y[i] - this.centreY;
    }
    gl.bindVertexArray(this.vao);
    const attribute = (
      name: string,
      data: ArrayBufferView,
      size: number,
      type: number,
      normalized: boolean,
    ) => {
      const location = gl.getAttribLocation(this.program, name);
      const buffer = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      gl.enableVertexAttribArray(location);
      gl.vertexAttribPointer(location, size, type, normalized, 0, 0);
    };
    attribute("position", positions, 2, gl.FLOAT, false);
    attribute("color", colors, 4, gl.UNSIGNED_BYTE, true);
    gl.bindVertexArray(null);
    this.count = n;
  }

  /** Ring the points at these draw positions in the named layer (replacing its previous set). */
  setRings(layer: string, positions: ArrayLike<number>, style: RingStyle): void {
    const gl = this.gl;
    const old = this.rings.get(layer);
    if (old) gl.deleteBuffer(old.buffer);
    const buffer = gl.createBuffer()!;
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, buffer);
    gl.bufferData(
      gl.ELEMENT_ARRAY_BUFFER,
      new Uint32Array(positions as ArrayLike<number>),
      gl.STATIC_DRAW,
    );
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, null);
    this.rings.set(layer, { buffer, count: positions.length, style });
  }

  /**
   * Draw every point at `baseOpacity`, then the layers in the order they were first set: rings,
   * or (fill layers) their points again at `opacity`.
   */
  draw(
    transform: PixelTransform,
    cssWidth: number,
    cssHeight: number,
    radius: number,
    opacity: number,
    baseOpacity = opacity,
  ): void {
    const gl = this.gl;
    const dpr = this.canvas.width / Math.max(1, cssWidth);
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.useProgram(this.program);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    // CSS pixels → clip space: clip = 2 · px / size − 1 (y flipped); px = (c + centre) · scale + offset.
    const ax = (2 * transform.scaleX) / cssWidth;
    const bx = (2 * (transform.offsetX + this.centreX * transform.scaleX)) / cssWidth - 1;
    const ay = (-2 * transform.scaleY) / cssHeight;
    const by = 1 - (2 * (transform.offsetY + this.centreY * transform.scaleY)) / cssHeight;
    gl.uniform2f(this.uniforms.scale, ax, ay);
    gl.uniform2f(this.uniforms.offset, bx, by);
    gl.bindVertexArray(this.vao);
    gl.uniform1f(this.uniforms.pointSize, (2 * radius + 1) * dpr);
    gl.uniform1f(this.uniforms.opacity, baseOpacity);
    gl.uniform1f(this.uniforms.ring, 0);
    gl.drawArrays(gl.POINTS, 0, this.count);
    for (const { buffer, count, style } of this.rings.values()) {
      if (count === 0) continue;
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, buffer);
      if (style.fill) {
        gl.uniform1f(this.uniforms.pointSize, (2 * radius + 1) * dpr);
        gl.uniform1f(this.uniforms.opacity, opacity);
        gl.uniform1f(this.uniforms.ring, 0);
        gl.drawElements(gl.POINTS, count, gl.UNSIGNED_INT, 0);
        continue;
      }
      const outer = style.radius * dpr;
      gl.uniform1f(this.uniforms.pointSize, 2 * outer + 1);
      gl.uniform1f(this.uniforms.ring, Math.max(0, (outer - style.lineWidth * dpr) / outer));
      gl.uniform4f(this.uniforms.ringColor, ...style.color);
      gl.drawElements(gl.POINTS, count, gl.UNSIGNED_INT, 0);
    }
    gl.bindVertexArray(null);
  }

  /** Block until the GPU has finished the frame (benchmarks only). */
  finish(): void {
    this.gl.finish();
  }

  /** Free the GPU buffers and the context. */
  destroy(): void {
    this.gl.getExtension("WEBGL_lose_context")?.loseContext();
  }
}

function link(
  gl: WebGL2RenderingContext,
  vertexSource: string,
  fragmentSource: string,
): WebGLProgram {
  const compile = (type: number, source: string) => {
    const shader = gl.createShader(type)!;
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS))
      throw new Error(`scatter shader: ${gl.getShaderInfoLog(shader)}`);
    return shader;
  };
  const program = gl.createProgram()!;
  gl.attachShader(program, compile(gl.VERTEX_SHADER, vertexSource));
  gl.attachShader(program, compile(gl.FRAGMENT_SHADER, fragmentSource));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS))
    throw new Error(`scatter shader: ${gl.getProgramInfoLog(program)}`);
  return program;
}
