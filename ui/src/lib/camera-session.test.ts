import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CameraUpdate, DeskCard, ErrorCode, IpcError } from './ipc';

const backend = vi.hoisted(() => ({
  cameraStart: vi.fn<() => Promise<null>>(),
  cameraPoll: vi.fn<() => Promise<CameraUpdate>>(),
  cameraStop: vi.fn<() => Promise<null>>(),
}));
vi.mock('./ipc', async (original) => ({ ...(await original<typeof import('./ipc')>()), api: backend }));

import { CameraSession, type VoucherRead } from './camera-session.svelte';

const card = { card: { resident: { id: 42 } } } as unknown as DeskCard;
function ipcError(code: ErrorCode, message: string, message_ja: string): IpcError {
  return { code, message, message_ja, overridable: false };
}
const quiet: CameraUpdate = { running: true, preview: null, reads: [], stopped: null };

beforeEach(() => {
  vi.useFakeTimers();
  backend.cameraStart.mockReset().mockResolvedValue(null);
  backend.cameraStop.mockReset().mockResolvedValue(null);
  backend.cameraPoll.mockReset().mockResolvedValue(quiet);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('CameraSession', () => {
  it('polls while on, hands each voucher read to the desk once, flashes, and stops when asked', async () => {
    const found: VoucherRead[] = [];
    const camera = new CameraSession((r) => found.push(r));
    backend.cameraPoll
      .mockResolvedValueOnce(quiet)
      .mockResolvedValueOnce({ ...quiet, reads: [{ kind: 'voucher', line: '112620210000100001', cards: [card] }] });
    await camera.start();
    expect(camera.on).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(found).toHaveLength(1);
    expect(found[0]!.opened).toBe(42);
    expect(camera.reads).toBe(1);
    expect(camera.flash).toBe(true);
    await vi.advanceTimersByTimeAsync(700);
    expect(camera.flash).toBe(false);

    await camera.toggle();
    expect(camera.on).toBe(false);
    expect(backend.cameraStop).toHaveBeenCalledTimes(1);
    const polls = backend.cameraPoll.mock.calls.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.cameraPoll.mock.calls.length).toBe(polls);
  });

  it('says why the camera did not start, and stays off', async () => {
    backend.cameraStart.mockRejectedValue(ipcError('NO_CAMERA', 'No camera found', 'カメラが見つかりません'));
    const camera = new CameraSession(() => undefined);
    await camera.start();
    expect(camera.on).toBe(false);
    expect(camera.starting).toBe(false);
    expect(camera.error?.code).toBe('NO_CAMERA');
    await vi.advanceTimersByTimeAsync(1000);
    expect(backend.cameraPoll).not.toHaveBeenCalled();
  });

  it('switches off when the camera stops by itself, with the reason', async () => {
    backend.cameraPoll.mockResolvedValue({
      running: false,
      preview: null,
      reads: [],
      stopped: ipcError('CAMERA_ENDED', 'ended', '終了'),
    });
    const camera = new CameraSession(() => undefined);
    await camera.start();
    await vi.advanceTimersByTimeAsync(500);
    expect(camera.on).toBe(false);
    expect(camera.error?.code).toBe('CAMERA_ENDED');
    expect(backend.cameraPoll).toHaveBeenCalledTimes(1);
  });

  it('shows a code that is not a voucher as a problem, not as a read', async () => {
    const found: VoucherRead[] = [];
    const camera = new CameraSession((r) => found.push(r));
    backend.cameraPoll.mockResolvedValueOnce({
      ...quiet,
      reads: [{ kind: 'not_a_voucher', text: 'https://example.org', message: 'not a voucher', message_ja: '接種券ではありません' }],
    });
    await camera.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(found).toHaveLength(0);
    expect(camera.reads).toBe(0);
    expect(camera.problem?.messageJa).toBe('接種券ではありません');
    camera.release();
  });

  it('releases the camera when the desk leaves the screen', async () => {
    const camera = new CameraSession(() => undefined);
    camera.release();
    expect(backend.cameraStop).not.toHaveBeenCalled();
    await camera.start();
    camera.release();
    expect(camera.on).toBe(false);
    expect(backend.cameraStop).toHaveBeenCalledTimes(1);
  });
});
