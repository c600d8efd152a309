// The composer: textbox "Message" and button "Send"; Enter sends, Shift+Enter a new line; the
// bytes left are shown before sending and over-long text is refused here; a refusal of the
// server (rate_limited with its countdown, message_too_long, ...) shows here, where it was written.

import { useEffect, useRef, useState } from 'preact/hooks';
import { describeRefusal, secondsLeft, type Refusal } from '../store';
import { utf8Length } from '../utf8';
import { useNow } from '../hooks';

const drafts = new Map<string, string>();

interface Props {
  convKey: string;
  label: string;
  maxBytes: number;
  refusal: Refusal | undefined;
  onSend: (text: string) => boolean;
  onDismiss: () => void;
}

export function Composer({ convKey, label, maxBytes, refusal, onSend, onDismiss }: Props) {
  const [text, setText] = useState(drafts.get(convKey) ?? '');
  const [local, setLocal] = useState<string | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const counting = refusal?.until !== undefined;
  const now = useNow(counting);

  useEffect(() => {
    if (refusal?.text && !text) update(refusal.text);
  }, [refusal]);

  useEffect(() => {
    if (counting && secondsLeft(refusal, now) === 0 && refusal?.code === 'rate_limited') {
      const t = setTimeout(onDismiss, 3000);
      return () => clearTimeout(t);
    }
  }, [counting && secondsLeft(refusal, now) === 0]);

  const update = (v: string) => {
    setText(v);
    drafts.set(convKey, v);
    setLocal(null);
  };

  const bytes = utf8Length(text);
  const left = maxBytes - bytes;

  const send = () => {
    if (!text.trim()) {
      setLocal('Write something first.');
      return;
    }
    if (left < 0) {
      setLocal(`Too long by ${-left} bytes: shorten it to send.`);
      return;
    }
    if (onSend(text)) update('');
    area.current?.focus();
  };

  const onKeyDown = (ev: KeyboardEvent) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      send();
    }
  };

  const problem = local ?? (refusal ? describeRefusal(refusal, now) : null);
  const counterId = `counter-${convKey}`;
  const problemId = `problem-${convKey}`;

  return (
    <form class="composer" onSubmit={(ev) => { ev.preventDefault(); send(); }}>
      {problem && (
        <p class={refusal?.code === 'rate_limited' && !local ? 'refusal countdown' : 'refusal'}
           id={problemId} role="alert">
          {problem}
          {!local && refusal && (
            <button type="button" class="link" onClick={onDismiss}>Dismiss</button>
          )}
        </p>
      )}
      <div class="composer-row">
        <textarea ref={area} aria-label="Message" rows={2} value={text}
                  placeholder={`Message ${label}`}
                  aria-describedby={problem ? `${counterId} ${problemId}` : counterId}
                  aria-invalid={left < 0}
                  onInput={(ev) => update((ev.target as HTMLTextAreaElement).value)}
                  onKeyDown={onKeyDown} />
        <button type="submit">Send</button>
      </div>
      <p class={left < 0 ? 'counter over' : 'counter'} id={counterId}>
        {left < 0 ? `${-left} bytes over the limit of ${maxBytes}` : `${left} bytes left`}
      </p>
    </form>
  );
}
