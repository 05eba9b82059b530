/**
 * A throw-away Mosquitto broker for the tests (Debian's `mosquitto`): a generated configuration
 * on a free port of 127.0.0.1, persistence in a temporary directory (so that a stop and start
 * keeps the subscribers' sessions, as a production broker does), killed at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeTcpPort } from './prometheus-tools.js';

/** Where `mosquitto` is on Debian (/usr/sbin is not always on PATH). */
export const MOSQUITTO_PATHS = ['/usr/sbin', '/usr/bin'];

export class MosquittoBroker {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    private readonly directory: string,
    private readonly configFile: string,
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Writes the configuration and starts the broker; resolves once it accepts connections. */
  static async start(): Promise<MosquittoBroker> {
    const directory = await mkdtemp(join(tmpdir(), 'cable-inspector-mosquitto-'));
    const port = await freeTcpPort();
    const configFile = join(directory, 'mosquitto.conf');
    await writeFile(
      configFile,
      [
        `listener ${port} 127.0.0.1`,
        // Started as root, mosquitto would switch to the user "mosquitto", who cannot write the
        // persistence into this test's directory: the subscribers' sessions would not survive.
        `user ${userInfo().username}`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${directory}/`,
        'autosave_interval 1',
        'log_dest stderr',
        'log_type error',
        'log_type warning',
        '',
      ].join('\n'),
    );
    const broker = new MosquittoBroker(port, directory, configFile);
    try {
      await broker.resume();
    } catch (error) {
      await broker.destroy();
      throw error;
    }
    return broker;
  }

  /** Starts it again after `stop`, on the same port and persistence. */
  async resume(): Promise<void> {
    const child = spawn('mosquitto', ['-c', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PATH: [...MOSQUITTO_PATHS, process.env.PATH ?? ''].join(':') },
    });
    this.child = child;
    child.stdout!.on(
      'data',
      (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)),
    );
    child.stderr!.on(
      'data',
      (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)),
    );
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`mosquitto exited with ${child.exitCode}:\n${this.output}`);
      if (await this.accepts()) return;
      await sleep(50);
    }
    throw new Error(`mosquitto not listening on ${this.port} after 10 s:\n${this.output}`);
  }

  /** SIGTERM (the broker saves its state, as on a maintenance restart); resolves once it exited. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  /** Stops it and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.directory, { recursive: true, force: true });
  }

  logs(): string {
    return this.output;
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connectTcp(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
}
