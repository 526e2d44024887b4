import { type FormEvent, useState } from 'react';
import type { Schemas } from '../../lib/api.ts';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { asProblem, call, type Problem } from '../../lib/problem.ts';
import { useApi } from '../../lib/services.tsx';
import { TextField } from './TextField.tsx';
import {
  BODY_MAX,
  type FieldErrors,
  TITLE_MAX,
  validateBody,
  validateTitle,
} from './validation.ts';

/** Starts a thread; its body becomes the first post. */
export function NewThreadForm({ onCreated }: { onCreated: (thread: Schemas['Thread']) => void }) {
  const api = useApi();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    const found = { title: validateTitle(title), body: validateBody(body) };
    setErrors(found);
    setProblem(null);
    if (found.title || found.body) return;
    setBusy(true);
    try {
      const thread = await call(api.POST('/api/threads', { body: { title: title.trim(), body } }));
      setTitle('');
      setBody('');
      onCreated(thread);
    } catch (error) {
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="panel form"
      onSubmit={onSubmit}
      noValidate
      aria-labelledby="new-thread-heading"
    >
      <h2 id="new-thread-heading">Start a thread</h2>
      <TextField
        label="Title"
        value={title}
        onChange={setTitle}
        error={errors.title}
        maxLength={TITLE_MAX}
      />
      <TextField
        label="Message"
        value={body}
        onChange={setBody}
        error={errors.body}
        multiline
        maxLength={BODY_MAX}
      />
      {problem ? <ProblemMessage problem={problem} /> : null}
      <button type="submit" className="button" aria-disabled={busy}>
        {busy ? 'Posting…' : 'Post thread'}
      </button>
    </form>
  );
}
