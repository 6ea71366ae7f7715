import { useEffect, useRef, useState } from 'react';

/** useDraft keeps an editable draft of a committed value (e.g. one held in the URL): edits
 * change the draft at once and are committed after the draft has stayed the same for ms
 * milliseconds; a change of the committed value from elsewhere (back button, reset)
 * replaces the draft. */
export function useDraft<T>(value: T, commit: (v: T) => void, ms = 350): [T, (v: T) => void] {
  const [draft, setDraft] = useState(value);
  const [seen, setSeen] = useState(value);
  if (!Object.is(value, seen)) {
    setSeen(value);
    setDraft(value);
  }
  const commitRef = useRef(commit);
  useEffect(() => {
    commitRef.current = commit;
  });
  useEffect(() => {
    if (Object.is(draft, value)) return;
    const t = setTimeout(() => commitRef.current(draft), ms);
    return () => clearTimeout(t);
  }, [draft, value, ms]);
  return [draft, setDraft];
}
