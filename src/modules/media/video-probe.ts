import { spawn } from 'node:child_process';
import { UnprocessableMedia } from './media.errors';

const TIMEOUT_MS = 60_000;
const MAX_OUTPUT_BYTES = 20 * 1024 * 1024;

function run(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) child.kill('SIGKILL');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-500)));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new UnprocessableMedia(`${command} failed (${code ?? 'killed'}): ${err.trim()}`));
    });
  });
}

function onPath(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, ['-version'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

let tools: Promise<boolean> | undefined;

/** Whether `ffprobe` and `ffmpeg` are on PATH (checked once per process). Without them videos keep type and size only. */
export function videoToolsAvailable(): Promise<boolean> {
  tools ??= Promise.all([onPath('ffprobe'), onPath('ffmpeg')]).then(([probe, mpeg]) => probe && mpeg);
  return tools;
}

/** The first video stream's dimensions; `UnprocessableMedia` when ffprobe cannot read the file. */
export async function probeVideo(path: string): Promise<{ width: number; height: number }> {
  const out = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', path]);
  const stream = (JSON.parse(out.toString()) as { streams?: { width?: number; height?: number }[] }).streams?.[0];
  if (!stream?.width || !stream.height) throw new UnprocessableMedia('no video stream');
  return { width: stream.width, height: stream.height };
}

/** The first frame as PNG, for the poster. */
export function posterFrame(path: string): Promise<Buffer> {
  return run('ffmpeg', ['-v', 'error', '-i', path, '-frames:v', '1', '-f', 'image2pipe', '-vcodec', 'png', 'pipe:1']);
}
