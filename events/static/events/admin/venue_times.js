// The event form: names, beside the start and end boxes, the time zone typed in the form, as
// the server reads the boxes in the zone submitted with them.
'use strict';
document.addEventListener('DOMContentLoaded', function() {
    const zoneInput = document.getElementById('id_timezone');
    if (!zoneInput || !zoneInput.list) {
        return;
    }
    const known = new Set(Array.from(zoneInput.list.options, option => option.value));
    zoneInput.addEventListener('input', function() {
        const zone = zoneInput.value.trim();
        if (known.has(zone)) {
            for (const label of document.querySelectorAll('[data-venue-zone]')) {
                label.textContent = zone;
            }
        }
    });
});
