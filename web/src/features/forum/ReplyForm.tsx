import { type FormEvent, useState } from 'react';
import type { Schemas } from '../../lib/api.ts';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { asProblem, call, type Problem } from '../../lib/problem.ts';
import { useApi } from '../../lib/services.tsx';
import { TextField } from './TextField.tsx';
import { BODY_MAX, validateBody } from './validation.ts';

interface ReplyFormProps {
  threadId: string;
  onPosted: (post: Schemas['Post']) => void;
}

export function ReplyForm({ threadId, onPosted }: ReplyFormProps) {
  const api = useApi();
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const found = validateBody(body);
    setError(found);
    setProblem(null);
    if (found) return;
    setBusy(true);
    try {
      const post = await call(
        api.POST('/api/threads/{id}/posts', { params: { path: { id: threadId } }, body: { body } }),
      );
      setBody('');
      onPosted(post);
    } catch (caught) {
      setProblem(asProblem(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel form" onSubmit={onSubmit} noValidate aria-labelledby="reply-heading">
      <h2 id="reply-heading">Reply</h2>
      <TextField
        label="Your reply"
        value={body}
        onChange={setBody}
        error={error}
        multiline
        maxLength={BODY_MAX}
      />
      {problem ? <ProblemMessage problem={problem} /> : null}
      <button type="submit" className="button" aria-disabled={busy}>
        {busy ? 'Posting…' : 'Post reply'}
      </button>
    </form>
  );
}
